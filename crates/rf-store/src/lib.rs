//! The flow directory: file names by time slot, sub-directory layouts, selecting files for
//! `-r/-R/-M/-t`, and the expiry bookkeeping shared by rfexpire and rfcapd.
//!
//! * [`naming`]: `nfcapd.YYYYMMDDhhmm[ss]` names, formatted and parsed in local time.
//! * [`layout`]: the nfcapd `-S` sub-directory layouts and the path of a slot's file.
//! * [`select`]: nfdump's `-r`, `-R` ranges and `-M` source lists.
//! * [`timewin`]: the `-t` time window.
//! * [`expire`]: nfexpire's bookkeeping and expiry, for rfexpire and `rfcapd -e`.
#![warn(missing_docs)]

pub mod error;
pub mod expire;
pub mod layout;
pub mod naming;
pub mod select;
pub mod timewin;
mod walk;

pub use error::{Error, Result};
pub use layout::Layout;
pub use naming::NameStyle;
pub use timewin::{TimeSpec, TimeWindow};
