//! Black-box tests of the simulated Podio API, driving `Sim::router()`.

mod filter;
mod helpers;
mod limits;
mod oauth;
mod reads;
mod serve;
