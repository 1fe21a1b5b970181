//! `rfdump`: Read, filter, aggregate and print flow files (nfdump compatible).
//!
//! The binary only parses arguments and wires library calls together; the work is done in the
//! rf-* library crates (rf-query runs the query).

mod args;
mod config;
mod export;

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use rf_query::output::Printer;
use rf_query::query::{self, Query, RecordSink};

use args::Args;

/// `-w`: passed records go to a native rflow file.
struct NativeSink(Option<rf_format::native::Writer>);

impl RecordSink for NativeSink {
    fn write(&mut self, r: &rf_format::FlowRecord) -> Result<(), String> {
        match &mut self.0 {
            Some(w) => w.write(r).map_err(|e| e.to_string()),
            None => Err("writer already finished".into()),
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(what) = args.generate {
        rf_cli::generate(what, Args::command(), &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.syntax_only {
        config::filter(&args)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(path) = &args.exporters {
        let mut out = rf_cli::stdout();
        out.write_all(config::exporters_text(path)?.as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(path) = &args.verify {
        let (text, ok) = config::verify_text(path)?;
        let mut out = rf_cli::stdout();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(rf_cli::EXIT_FAILURE)
        });
    }
    if args.info {
        let files = config::files(&args)?;
        let mut out = rf_cli::stdout();
        let (text, errors) = config::info_text(&files);
        out.write_all(text.as_bytes())?;
        out.flush()?;
        for e in &errors {
            eprintln!("rfdump: {e}");
        }
        return Ok(if errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(rf_cli::EXIT_FAILURE)
        });
    }
    if args.read.is_none() && args.range.is_none() && args.multi.is_none() {
        Args::command().print_help()?;
        return Ok(ExitCode::SUCCESS);
    }
    let plan = config::plan(&args)?;
    let filter = &plan.filter;
    let any = filter.is_any();
    let pred = |r: &rf_format::FlowRecord, c: &rf_query::engine::RecordCtx<'_>| {
        if any {
            return true;
        }
        let ctx = rf_filter::Context {
            ident: Some(c.ident),
            record_no: c.record_no,
        };
        filter.matches_ctx(r, &ctx)
    };
    let block_pred = |s: &rf_format::BlockSummary| filter.may_match_block(s);
    let skip_blocks = !filter.uses_count() && !filter.is_any();
    // With statistics nfdump prints the tables (without headers) and writes no file.
    let stats = !plan.stats.is_empty() || plan.record_stat.is_some();
    let mut writer = match &args.write {
        Some(p) if !stats && !export::requested(&args) => {
            let ident = plan
                .files
                .first()
                .and_then(|f| rf_format::open(f).ok())
                .map(|f| f.info().ident.clone())
                .unwrap_or_default();
            let opts = rf_format::native::WriterOptions {
                compression: plan.compression,
                ..rf_format::native::WriterOptions::default()
            }
            .ident(ident);
            // The writer's errors already name the file.
            let mut w =
                rf_format::native::Writer::create(p, opts).map_err(|e| anyhow::anyhow!("{e}"))?;
            // Keep the exporters of the input so `%ra`-style joins survive the copy.
            let mut seen = std::collections::HashSet::new();
            for f in &plan.files {
                if let Ok(file) = rf_format::open(f) {
                    for e in &file.info().exporters {
                        if seen.insert(e.sysid) {
                            w.add_exporter(e.clone());
                        }
                    }
                }
            }
            Some(NativeSink(Some(w)))
        }
        _ => None,
    };
    let mut parquet = if stats {
        None
    } else {
        export::open(&args, &plan.files)?
    };
    let q = Query {
        files: &plan.files,
        filter: &pred,
        block_filter: skip_blocks.then_some(&block_pred as rf_query::engine::BlockPredicate<'_>),
        filter_columns: filter
            .is_any()
            .then_some(rf_format::native::ColumnSet::NONE),
        sequential: filter.uses_count(),
        window: plan.window,
        limit: plan.limit,
        printer: Printer::new(plan.kind, args.quiet),
        quiet: args.quiet,
        plain: args.plain,
        long_v6: args.ipv6_long,
        stats: plan.stats,
        record_stat: plan.record_stat,
        agg: plan.agg,
        order: plan.order,
        top: plan.top,
        progress: plan.files.len() > 4 && rf_cli::stderr_is_terminal(),
        write_requested: args.write.is_some() || args.export_dir.is_some(),
        packet_limit: plan.packet_limit,
        byte_limit: plan.byte_limit,
    };
    let mut out = rf_cli::stdout();
    let outcome = query::execute(
        q,
        &mut out,
        writer
            .as_mut()
            .map(|w| w as &mut dyn RecordSink)
            .or(parquet.as_mut().map(|p| p as &mut dyn RecordSink)),
    )?;
    out.flush()?;
    if let Some(NativeSink(Some(w))) = writer {
        w.finish()?;
    }
    if let Some(p) = parquet {
        p.finish()?;
    }
    for e in &outcome.errors {
        eprintln!("rfdump: {e}");
    }
    Ok(if outcome.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(rf_cli::EXIT_FAILURE)
    })
}

fn main() -> ExitCode {
    rf_cli::run_main::<Args>("rfdump", run)
}
