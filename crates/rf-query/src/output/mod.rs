//! Output formats (`-o`).

pub mod csv;
