//! Black-box tests of the simulated Podio API, driving `Sim::router()`.

mod authorize;
mod comments;
mod faults;
mod filter;
mod flow;
mod helpers;
mod http;
mod items_write;
mod limits;
mod members;
mod notifications;
mod oauth;
mod reads;
mod search;
mod serve;
mod tasks;
mod users;
mod views;
