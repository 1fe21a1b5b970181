//! Encodes full row groups into the Parquet file, either inline or on a background thread.
//!
//! Encoding a row group (dictionaries, statistics, zstd) costs about as much as collecting it,
//! and the records arrive on one thread (the query's sink), so a single-file export overlaps
//! the two: the caller fills one [`RowGroupBuf`] while the encoder thread writes the previous
//! one. The channel holds no queued group (a rendezvous), so at most two groups exist at once
//! and memory stays bounded. Emptied buffers come back to be refilled, keeping their capacity.

use std::fs::File;
use std::io::BufWriter;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use parquet::file::writer::SerializedFileWriter;

use crate::rowgroup::RowGroupBuf;

type FileWriter = SerializedFileWriter<BufWriter<File>>;

/// Writes `buf` as one row group (emptying it).
fn write_group(inner: &mut FileWriter, buf: &mut RowGroupBuf) -> Result<(), String> {
    let at = inner.bytes_written();
    let res = (|| {
        let mut rg = inner.next_row_group()?;
        buf.write_to(&mut rg)?;
        rg.close().map(|_| ())
    })();
    res.map_err(|e| format!("row group at offset {at}: {e}"))
}

fn close(inner: FileWriter) -> Result<(), String> {
    inner.close().map(|_| ()).map_err(|e| e.to_string())
}

/// Where full row groups go.
pub(crate) enum Encoder {
    /// Encoded by the caller's thread.
    Inline(FileWriter),
    /// Encoded by a worker thread.
    Thread {
        tx: Option<SyncSender<RowGroupBuf>>,
        back: Receiver<RowGroupBuf>,
        handle: Option<JoinHandle<Result<(), String>>>,
    },
}

impl Encoder {
    /// Wraps the file writer; with `threaded` a worker thread does the encoding.
    pub(crate) fn new(inner: FileWriter, threaded: bool) -> Result<Self, String> {
        if !threaded {
            return Ok(Self::Inline(inner));
        }
        let (tx, rx) = sync_channel::<RowGroupBuf>(0);
        let (back_tx, back) = channel();
        let handle = std::thread::Builder::new()
            .name("rf-parquet-encode".into())
            .spawn(move || run(inner, &rx, &back_tx))
            .map_err(|e| format!("cannot start the encoder thread: {e}"))?;
        Ok(Self::Thread {
            tx: Some(tx),
            back,
            handle: Some(handle),
        })
    }

    /// Hands over the full `buf` for writing; `buf` is replaced by an empty buffer.
    pub(crate) fn write(&mut self, buf: &mut RowGroupBuf) -> Result<(), String> {
        match self {
            Self::Inline(inner) => write_group(inner, buf),
            Self::Thread { tx, back, handle } => {
                let spare = back.try_recv().unwrap_or_default();
                let full = std::mem::replace(buf, spare);
                let sent = tx.as_ref().is_some_and(|tx| tx.send(full).is_ok());
                if sent {
                    return Ok(());
                }
                // The worker stopped on an error: report it.
                tx.take();
                Err(join(handle.take())
                    .err()
                    .unwrap_or_else(|| "encoder thread stopped".into()))
            }
        }
    }

    /// Waits for every group to be written, then writes the footer.
    pub(crate) fn close(self) -> Result<(), String> {
        match self {
            Self::Inline(inner) => close(inner),
            Self::Thread { tx, handle, .. } => {
                drop(tx);
                join(handle)
            }
        }
    }
}

fn join(handle: Option<JoinHandle<Result<(), String>>>) -> Result<(), String> {
    match handle {
        Some(h) => h
            .join()
            .unwrap_or_else(|_| Err("encoder thread panicked".into())),
        None => Err("encoder thread already stopped".into()),
    }
}

/// The worker: writes each group it receives, returns the emptied buffer, and closes the file
/// when the sender is dropped.
fn run(
    mut inner: FileWriter,
    rx: &Receiver<RowGroupBuf>,
    back: &Sender<RowGroupBuf>,
) -> Result<(), String> {
    while let Ok(mut buf) = rx.recv() {
        write_group(&mut inner, &mut buf)?;
        // The writer may already be done with spares; a closed channel is fine.
        let _ = back.send(buf);
    }
    close(inner)
}
