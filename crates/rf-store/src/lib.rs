//! The flow directory: file names by time slot, sub-directory layouts, selecting files for
//! `-r/-R/-M/-t`, and the expiry bookkeeping shared by rfexpire and rfcapd.
#![warn(missing_docs)]
