//! The nfdump filter language: nom parser, canonical AST and compiled evaluator.
#![warn(missing_docs)]
