//! Exports of a progress view as CSV or XLSX: the very rows of the JSON answer (the
//! same typed rows, read cell by cell), in columns with Vietnamese or English headers,
//! so a download shows exactly the numbers on screen. The XLSX has a second sheet with
//! the per-day breakdown.

use crate::error::ApiError;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};
use tally_core::views::Compare;

/// The format a view is answered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(value: Option<&String>) -> Result<ExportFormat, ApiError> {
        match value.map(String::as_str) {
            None | Some("json") => Ok(ExportFormat::Json),
            Some("csv") => Ok(ExportFormat::Csv),
            Some("xlsx") => Ok(ExportFormat::Xlsx),
            Some(other) => Err(ApiError::invalid(
                "format",
                format!("'{other}' is not one of json, csv, xlsx"),
            )),
        }
    }
}

/// The `format` and `lang` of a request's query.
pub fn format_and_lang(
    params: &std::collections::HashMap<String, String>,
) -> Result<(ExportFormat, Lang), ApiError> {
    Ok((
        ExportFormat::parse(params.get("format"))?,
        Lang::parse(params.get("lang"))?,
    ))
}

/// The language of headers and metric names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn parse(value: Option<&String>) -> Result<Lang, ApiError> {
        match value.map(String::as_str) {
            None | Some("vi") => Ok(Lang::Vi),
            Some("en") => Ok(Lang::En),
            Some(other) => Err(ApiError::invalid(
                "lang",
                format!("'{other}' is not one of vi, en"),
            )),
        }
    }
}

/// A row that can be exported: the text of its cell under a column's key (its JSON
/// key, `a/b` for a nested one), exactly as the JSON has it ("" when absent).
pub trait Cells {
    fn cell(&self, key: &str) -> String;
}

/// The columns of a view, the comparison's column named for what it compares with.
pub fn comparing(columns: &[Column], compare: Compare) -> Vec<Column> {
    columns
        .iter()
        .map(|c| match (c.key, compare) {
            ("previous", Compare::Year) => {
                number("previous", "Same period last year", "Cùng kỳ năm trước")
            }
            _ => *c,
        })
        .collect()
}

/// A column: the row's JSON key (`a/b` for a nested one), its headers, and whether
/// its cells are numbers in a spreadsheet.
#[derive(Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub en: &'static str,
    pub vi: &'static str,
    pub numeric: bool,
}

pub const fn text(key: &'static str, en: &'static str, vi: &'static str) -> Column {
    Column {
        key,
        en,
        vi,
        numeric: false,
    }
}

pub const fn number(key: &'static str, en: &'static str, vi: &'static str) -> Column {
    Column {
        key,
        en,
        vi,
        numeric: true,
    }
}

/// The columns of the goal and employee views.
pub const PERSON_COLUMNS: &[Column] = &[
    text("user_id", "User ID", "Mã nhân viên"),
    text("team_id", "Team ID", "Mã nhóm"),
    text("name", "Name", "Tên"),
    text("goal_id", "Goal ID", "Mã KPI"),
    text("goal_name", "Goal", "KPI"),
    text("metric", "Metric key", "Mã chỉ tiêu"),
    text("metric_name", "Metric", "Chỉ tiêu"),
    text("period", "Target per", "Chỉ tiêu theo"),
    number("weight", "Weight %", "Trọng số %"),
    number("days", "Days", "Số ngày"),
    number("actual", "Actual", "Thực tế"),
    number("target", "Target", "Mục tiêu"),
    number("completion", "Completion", "Hoàn thành"),
    text("grade", "Grade", "Xếp loại"),
    number("rank", "Rank", "Hạng"),
    number("previous", "Previous period", "Kỳ trước"),
    number("change", "Change", "Thay đổi"),
    number("change_pct", "Change %", "Thay đổi %"),
    number("pace/expected", "Expected by now", "Kỳ vọng đến nay"),
    number("pace/projected", "Projected", "Dự báo cuối kỳ"),
    text("pace/status", "Pace", "Nhịp độ"),
];

/// The columns of the teams view.
pub const TEAM_COLUMNS: &[Column] = &[
    text("team_id", "Team ID", "Mã nhóm"),
    text("name", "Team", "Nhóm"),
    text("metric", "Metric key", "Mã chỉ tiêu"),
    text("metric_name", "Metric", "Chỉ tiêu"),
    number("actual", "Actual", "Thực tế"),
    number("target", "Target", "Mục tiêu"),
    text("target_source", "Target from", "Nguồn mục tiêu"),
    number("team_target", "Team target", "Mục tiêu nhóm"),
    number(
        "members_target",
        "Members' targets",
        "Tổng mục tiêu thành viên",
    ),
    text("targets_disagree", "Targets differ", "Mục tiêu lệch nhau"),
    number("completion", "Completion", "Hoàn thành"),
    text("grade", "Grade", "Xếp loại"),
    number("rank", "Rank", "Hạng"),
    number("previous", "Previous period", "Kỳ trước"),
    number("change", "Change", "Thay đổi"),
    number("change_pct", "Change %", "Thay đổi %"),
    number("pace/expected", "Expected by now", "Kỳ vọng đến nay"),
    number("pace/projected", "Projected", "Dự báo cuối kỳ"),
    text("pace/status", "Pace", "Nhịp độ"),
];

/// A row of the per-day breakdown: its cells in the order of [`DAILY_COLUMNS`], as text
/// (kept compact: a month of a thousand people is a hundred thousand rows).
pub type DailyCells = [String; 8];

/// The columns of the per-day breakdown.
pub const DAILY_COLUMNS: &[Column] = &[
    text("user_id", "User ID", "Mã nhân viên"),
    text("team_id", "Team ID", "Mã nhóm"),
    text("name", "Name", "Tên"),
    text("goal_id", "Goal ID", "Mã KPI"),
    text("metric", "Metric key", "Mã chỉ tiêu"),
    text("metric_name", "Metric", "Chỉ tiêu"),
    text("date", "Date", "Ngày"),
    number("actual", "Actual", "Thực tế"),
];

/// The view as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the
/// Vietnamese right).
pub fn csv(columns: &[Column], rows: &[impl Cells], lang: Lang) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let internal = |e: csv::Error| ApiError::Internal(e.to_string());
    writer
        .write_record(columns.iter().map(|c| header(c, lang)))
        .map_err(internal)?;
    for row in rows {
        let cells = columns.iter().map(|c| match c.numeric {
            true => row.cell(c.key),
            false => inert(row.cell(c.key)),
        });
        writer.write_record(cells).map_err(internal)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A text cell a spreadsheet will not run as a formula (a goal named `=HYPERLINK(…)`).
fn inert(text: String) -> String {
    match text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{text}"),
        false => text,
    }
}

/// The view as an XLSX workbook: the rows, then the per-day breakdown.
pub fn xlsx(
    columns: &[Column],
    rows: &[impl Cells],
    daily: &[DailyCells],
    lang: Lang,
) -> Result<Vec<u8>, ApiError> {
    let mut workbook = Workbook::new();
    let (main, per_day) = match lang {
        Lang::Vi => ("Tiến độ KPI", "Theo ngày"),
        Lang::En => ("KPI progress", "By day"),
    };
    let cells = |row| {
        columns
            .iter()
            .map(|c| Cells::cell(row, c.key))
            .collect::<Vec<_>>()
    };
    write_sheet(&mut workbook, main, columns, rows.iter().map(cells), lang)?;
    write_sheet(
        &mut workbook,
        per_day,
        DAILY_COLUMNS,
        daily.iter().map(|d| d.to_vec()),
        lang,
    )?;
    workbook
        .save_to_buffer()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A single-sheet XLSX of `rows` in `columns`.
pub fn xlsx_sheet(
    sheet: &str,
    columns: &[Column],
    rows: &[impl Cells],
    lang: Lang,
) -> Result<Vec<u8>, ApiError> {
    let mut workbook = Workbook::new();
    let cells = |row| {
        columns
            .iter()
            .map(|c| Cells::cell(row, c.key))
            .collect::<Vec<_>>()
    };
    write_sheet(&mut workbook, sheet, columns, rows.iter().map(cells), lang)?;
    workbook
        .save_to_buffer()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn write_sheet(
    workbook: &mut Workbook,
    name: &str,
    columns: &[Column],
    rows: impl Iterator<Item = Vec<String>>,
    lang: Lang,
) -> Result<(), ApiError> {
    let internal = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let bold = Format::new().set_bold();
    // Rows go straight to a temporary file, not memory: an export of a month of a
    // thousand people is a hundred thousand rows.
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(internal)?;
    sheet.set_name(name).map_err(internal)?;
    for (c, column) in (0u16..).zip(columns) {
        sheet
            .write_string_with_format(0, c, header(column, lang), &bold)
            .map_err(internal)?;
    }
    for (r, row) in (1u32..).zip(rows) {
        for ((c, column), text) in (0u16..).zip(columns).zip(row) {
            match (column.numeric, text.parse::<f64>()) {
                (_, _) if text.is_empty() => {}
                (true, Ok(n)) => {
                    sheet.write_number(r, c, n).map_err(internal)?;
                }
                _ => {
                    sheet.write_string(r, c, &text).map_err(internal)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(internal)?;
    Ok(())
}

fn header(column: &Column, lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => column.vi,
        Lang::En => column.en,
    }
}

/// A download: the bytes, their type and a file name.
pub fn download(format: ExportFormat, stem: &str, bytes: Vec<u8>) -> Response {
    let (mime, extension) = match format {
        ExportFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => ("text/csv; charset=utf-8", "csv"),
    };
    let stem: String = stem
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || "._-".contains(c) {
            true => c,
            false => '_',
        })
        .collect();
    let disposition = format!("attachment; filename=\"{stem}.{extension}\"");
    (
        [
            (CONTENT_TYPE, mime.to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
