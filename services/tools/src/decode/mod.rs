//! Podio JSON shaped for language models: field values decoded per type
//! (shared by every item tool), items, apps, organizations and spaces reduced
//! to what a reader needs, and one-line text renderings. Decoding is
//! defensive throughout: missing or odd keys never fail a result.

pub mod app;
pub mod comment;
pub mod display;
pub mod html;
pub mod item;
pub mod json;
pub mod member;
pub mod notification;
pub mod search;
pub mod space;
pub mod task;
pub mod values;
pub mod view;

pub use item::{DecodedItem, decode_item};
