//! rflow native columnar flow-file format: writer and reader (see docs/format.md).
