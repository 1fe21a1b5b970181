//! Encoders for NetFlow v5/v9 and IPFIX export packets (rfreplay).
