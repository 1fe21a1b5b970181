//! Renderers for single flow fields as nfdump prints them (times in local time honouring TZ,
//! protocol names, TCP flag strings, MAC addresses, MPLS labels). Shared by every output format.
