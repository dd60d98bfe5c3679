//! The zone stage: reading lists of names, normalising them, and deriving what the survey
//! counts by (JP registration type, registered domain, prefecture). Knows nothing of DNS.

mod classify;
mod name;
mod reader;
mod refdata;

pub use classify::{Classification, GeoForm, JpType, classify, registered_domain};
pub use name::{RejectReason, normalize};
pub use reader::{
    KeyMap, KeySet, ROLE_COLUMNS, Reject, RejectWriter, ZoneEncoding, ZoneEntry, ZoneError,
    ZoneFormat, ZoneItem, ZoneReader, ZoneStats, name_key,
};
pub use refdata::{DESIGNATED_CITY_LABELS, LocalGov, Prefecture, RefData, Region, refdata};
