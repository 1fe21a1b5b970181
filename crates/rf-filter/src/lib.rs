//! The nfdump filter language: nom tokeniser and parser, canonical AST and compiled evaluator.
//!
//! ```
//! use rf_filter::Filter;
//! use rf_format::FlowRecord;
//!
//! let f: Filter = "proto tcp and dst port in [80 443] and bytes > 1k".parse().unwrap();
//! let mut r = FlowRecord { proto: 6, dst_port: 443, in_bytes: 5000, ..FlowRecord::default() };
//! assert!(f.matches(&r));
//! r.dst_port = 22;
//! assert!(!f.matches(&r));
//! ```
//!
//! [`parse`] turns text into an [`Expr`] whose `Display` is canonical text that parses back to
//! the same tree; [`compile`] resolves host names and builds a [`Filter`], which is cheap to
//! clone, `Send + Sync`, and evaluates records without allocating. Where nfdump 1.7.1 differs
//! from its own manual, rflow follows the manual; docs/filter.md lists each difference.
#![warn(missing_docs)]

mod addrset;
pub mod ast;
mod compile;
mod error;
mod include;
mod lexer;
mod names;
mod node;
mod parser;

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use rf_format::{BlockSummary, FlowRecord};

pub use ast::{AddrField, Cmp, Dir, DirField, Expr, Host, ListItem, NumField, Prim};
pub use error::{CONTEXT, Error, ParseError};
pub use include::{MAX_INCLUDE_DEPTH, expand_includes};
pub use node::Context;
pub use parser::{MAX_DEPTH, parse};

use node::Node;

/// A compiled filter.
#[derive(Clone, Debug)]
pub struct Filter {
    root: Node,
    expr: Arc<Expr>,
    uses_count: bool,
    uses_ident: bool,
}

/// Compiles a syntax tree into a [`Filter`], resolving host names.
///
/// # Errors
/// [`Error::Invalid`] for trees the parser would not produce (a qualifier the primitive does
/// not take, a value out of range).
pub fn compile(e: &Expr) -> Result<Filter, Error> {
    let root = compile::compile(e)?;
    let uses_count = root.uses(&|n| matches!(n, Node::Cmp(node::Get::Count, ..)));
    let uses_ident = root.uses(&|n| matches!(n, Node::Ident(_)));
    Ok(Filter {
        root,
        expr: Arc::new(e.clone()),
        uses_count,
        uses_ident,
    })
}

impl Filter {
    /// The filter that matches every record.
    pub fn any() -> Filter {
        Filter {
            root: Node::Const(true),
            expr: Arc::new(Expr::Prim(Prim::Any)),
            uses_count: false,
            uses_ident: false,
        }
    }

    /// Reads and compiles a filter file (nfdump `-f`). Comments, newlines and `@include` are
    /// allowed.
    ///
    /// # Errors
    /// [`Error::Io`] when unreadable, [`Error::File`] with the rendered caret message on syntax
    /// errors (positions refer to the text after `@include` expansion).
    pub fn from_file(path: &Path) -> Result<Filter, Error> {
        let raw = include::read_file(path)?;
        let text = expand_includes(&raw)?;
        let located = |error: ParseError| Error::File {
            path: path.to_path_buf(),
            rendered: error.render(&text),
            error,
        };
        let expr = parse(&text).map_err(located)?;
        // Compile errors (a port out of range, a bad mask) carry a position too: show it.
        compile(&expr).map_err(|e| match e {
            Error::Parse(error) => located(error),
            e => e,
        })
    }

    /// Whether the record matches (no file ident known, record number 0).
    #[inline]
    pub fn matches(&self, r: &FlowRecord) -> bool {
        self.root.eval(r, &Context::default())
    }

    /// Whether the record matches, with the file ident and record number for `ident`/`count`.
    #[inline]
    pub fn matches_ctx(&self, r: &FlowRecord, ctx: &Context<'_>) -> bool {
        self.root.eval(r, ctx)
    }

    /// When the record matches, the label of the last labelled sub-expression on the true path
    /// (`(proto tcp) %TCP`), as `Some(Some(label))`; `Some(None)` when it matches without one,
    /// `None` when it does not match.
    pub fn match_label(&self, r: &FlowRecord, ctx: &Context<'_>) -> Option<Option<&str>> {
        let mut label = None;
        self.root.eval_label(r, ctx, &mut label).then_some(label)
    }

    /// Conservative block test: `false` only when no record summarised by `s` can match
    /// (protocol set and address Bloom filter).
    pub fn may_match_block(&self, s: &BlockSummary) -> bool {
        self.root.block(s).0
    }

    /// Whether the filter uses `count`, which depends on the reading order: callers must then
    /// pass record numbers and must not skip blocks without counting their records.
    pub fn uses_count(&self) -> bool {
        self.uses_count
    }

    /// Whether the filter uses `ident`, which callers must pass in [`Context::ident`].
    pub fn uses_ident(&self) -> bool {
        self.uses_ident
    }

    /// Whether the filter matches everything (`any` or an empty filter).
    pub fn is_any(&self) -> bool {
        matches!(self.root, Node::Const(true))
    }

    /// The syntax tree the filter was compiled from.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

impl Default for Filter {
    fn default() -> Self {
        Filter::any()
    }
}

impl FromStr for Filter {
    type Err = Error;

    /// Parses (after `@include` expansion) and compiles.
    fn from_str(s: &str) -> Result<Filter, Error> {
        let text = expand_includes(s)?;
        let located = |error: ParseError| Error::Syntax {
            rendered: error.render(&text),
            error,
        };
        let expr = parse(&text).map_err(located)?;
        // Compile errors (a port out of range, a bad mask) carry a position too: show it.
        compile(&expr).map_err(|e| match e {
            Error::Parse(error) => located(error),
            e => e,
        })
    }
}

impl fmt::Display for Filter {
    /// Canonical text of the filter.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)
    }
}
