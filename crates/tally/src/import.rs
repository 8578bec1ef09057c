//! `tally import`: call records from the phone system, with a progress bar and a
//! summary at the end; `--retry-unmapped` counts the records kept aside once their
//! extensions are mapped.

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use tally_app::calls::{BATCH, ImportSummary, import, retry_unmapped};
use tally_app::data::DataSettings;
use tally_core::Organization;
use tally_sources::{CallRecord, asterisk, freeswitch};
use tally_store::Store;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import Asterisk's cdr_csv Master.csv (no header; 16 to 21 columns).
    ///
    /// Each record becomes a call of the user whose extension it names (users'
    /// `extension` / `extensions`); extension-to-extension calls are not counted;
    /// records with no mapped extension are kept aside. Importing a file again is a
    /// no-op (records are keyed on uniqueid).
    AsteriskCdr(AsteriskArgs),
    /// Import FreeSWITCH mod_json_cdr files (one JSON document per file).
    FreeswitchCdr(FreeswitchArgs),
}

#[derive(Args)]
pub struct AsteriskArgs {
    /// The Master.csv file (usually /var/log/asterisk/cdr-csv/Master.csv).
    pub file: Option<PathBuf>,
    /// The PBX writes UTC times (cdr.conf `usegmtime=yes`), not the organization's.
    #[arg(long)]
    pub utc: bool,
    /// Then count the records kept aside whose extensions are now mapped.
    #[arg(long)]
    pub retry_unmapped: bool,
}

#[derive(Args)]
pub struct FreeswitchArgs {
    /// The .cdr.json files (usually under /var/log/freeswitch/json_cdr/).
    pub files: Vec<PathBuf>,
    /// Then count the records kept aside whose extensions are now mapped.
    #[arg(long)]
    pub retry_unmapped: bool,
}

/// Runs an import command.
pub async fn run(settings: &DataSettings, command: ImportCommand) -> anyhow::Result<()> {
    let (store, org) = tally_app::data::open_store(settings).await?;
    let (mut summary, retry) = match command {
        ImportCommand::AsteriskCdr(args) => {
            let mut summary = ImportSummary::default();
            if let Some(file) = &args.file {
                let zone = match args.utc {
                    true => jiff::tz::TimeZone::UTC,
                    false => org.calendar.time_zone().clone(),
                };
                asterisk_file(&store, &org, file, zone, &mut summary).await?;
            } else if !args.retry_unmapped {
                anyhow::bail!("give a Master.csv file, or --retry-unmapped");
            }
            (summary, args.retry_unmapped)
        }
        ImportCommand::FreeswitchCdr(args) => {
            let mut summary = ImportSummary::default();
            freeswitch_files(&store, &org, &args.files, &mut summary).await?;
            (summary, args.retry_unmapped)
        }
    };
    print_summary("Imported", &summary);
    if retry {
        summary = retry_unmapped(&store, &org).await?;
        print_summary("Retried the records kept aside", &summary);
    }
    store.close().await;
    Ok(())
}

async fn asterisk_file(
    store: &Store,
    org: &Organization,
    path: &PathBuf,
    zone: jiff::tz::TimeZone,
    summary: &mut ImportSummary,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    let bar = progress(lines as u64, "records");
    let mut batch = Vec::new();
    for (line, record) in asterisk::read(&bytes[..], zone) {
        match record {
            Ok(record) => batch.push(record),
            Err(e) => summary.invalid(format!("line {line}"), &e.field, &e.message),
        }
        if batch.len() == BATCH {
            bar.inc(flush(store, org, &mut batch, summary).await?);
        }
        bar.set_position(bar.position().max(line.saturating_sub(batch.len() as u64)));
    }
    bar.inc(flush(store, org, &mut batch, summary).await?);
    bar.finish_and_clear();
    Ok(())
}

async fn freeswitch_files(
    store: &Store,
    org: &Organization,
    files: &[PathBuf],
    summary: &mut ImportSummary,
) -> anyhow::Result<()> {
    let bar = progress(files.len() as u64, "files");
    let mut batch = Vec::new();
    for path in files {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        match freeswitch::parse(&bytes) {
            Ok(record) => batch.push(record),
            Err(e) => summary.invalid(path.display().to_string(), &e.field, &e.message),
        }
        if batch.len() == BATCH {
            flush(store, org, &mut batch, summary).await?;
        }
        bar.inc(1);
    }
    flush(store, org, &mut batch, summary).await?;
    bar.finish_and_clear();
    Ok(())
}

/// Imports a batch; returns how many records it held.
async fn flush(
    store: &Store,
    org: &Organization,
    batch: &mut Vec<CallRecord>,
    summary: &mut ImportSummary,
) -> anyhow::Result<u64> {
    let records = std::mem::take(batch);
    let n = records.len() as u64;
    import(store, org, records, summary, None).await?;
    Ok(n)
}

fn progress(length: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

fn print_summary(what: &str, summary: &ImportSummary) {
    println!(
        "{what}: {} records read; {} calls counted, {} already imported, {} internal (not counted), {} second legs (counted from their first), {} kept aside (no mapped extension), {} rejected.",
        summary.read,
        summary.counted,
        summary.duplicates,
        summary.internal,
        summary.other_legs,
        summary.unmapped,
        summary.rejected_total
    );
    for problem in summary.rejected.iter().take(20) {
        println!("  {}: {}", problem.record, problem.error);
    }
    if summary.rejected_total > 20 {
        println!("  … and {} more", summary.rejected_total - 20);
    }
    if !summary.kept_aside.is_empty() {
        println!("Kept aside: {}.", summary.kept_aside_list());
    }
    if summary.unmapped > 0 {
        println!(
            "Map the extensions (PATCH /api/v1/users/ID {{\"extensions\": [...]}}), then run again with --retry-unmapped."
        );
    }
}
