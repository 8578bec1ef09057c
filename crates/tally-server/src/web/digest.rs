//! The daily digest as an email: a table per goal and range (the day before, then any
//! week or month that ended with it), a line per person or team, a cell per criterion
//! with the actual, the target and the completion, and the score; each table links to
//! the same goal view in Tally. The figures are the goal view's, formatted as the pages
//! format them. HTML with inline styles (mail clients drop style sheets) and a
//! plain-text part.

use super::Texts;
use super::format;
use super::notices::{goal_range_href, period_text};
use super::report::row_view;
use crate::export::Lang;
use askama::Template;
use tally_app::digest::Digest;
use tally_app::views::ProgressView;
use tally_core::Currency;
use tally_core::quantity::round;
use tally_core::views::Subject;

/// A digest, ready to send.
pub struct DigestEmail {
    pub subject: String,
    pub plain: String,
    pub html: String,
}

/// One goal over one range.
struct Table {
    title: String,
    href: Option<String>,
    metrics: Vec<String>,
    lines: Vec<Line>,
    scored: bool,
}

/// One person's or team's figures in a table.
struct Line {
    name: String,
    cells: Vec<Cell>,
    score: String,
}

/// One criterion's figures: `5 / 4` and `125%`.
struct Cell {
    figures: String,
    completion: String,
}

#[derive(Template)]
#[template(path = "digest_email.html")]
struct DigestHtml<'a> {
    t: &'static Texts,
    heading: &'a str,
    tables: &'a [Table],
}

/// The email of `digest` in `lang`; links start with `link_base` when the server knows
/// its public address.
pub fn digest_email(
    digest: &Digest,
    currency: &Currency,
    lang: Lang,
    link_base: Option<&str>,
) -> Result<DigestEmail, askama::Error> {
    let t = super::texts::of(lang);
    let heading = format!("{} {}", t.digest_subject, format::date(digest.day, lang));
    let tables: Vec<Table> = digest
        .views
        .iter()
        .map(|view| table(view, currency, lang, link_base))
        .collect();
    let html = DigestHtml {
        t,
        heading: &heading,
        tables: &tables,
    }
    .render()?;
    Ok(DigestEmail {
        plain: plain(t, &heading, &tables),
        subject: heading,
        html,
    })
}

fn table(view: &ProgressView, currency: &Currency, lang: Lang, link_base: Option<&str>) -> Table {
    let (goal_id, goal_name) = view.goal.clone().unwrap_or_default();
    let mut metrics = Vec::new();
    let mut lines: Vec<(Subject, Line)> = Vec::new();
    for row in &view.rows {
        let shown = row_view(row, currency, lang);
        if !metrics.contains(&shown.metric_name) {
            metrics.push(shown.metric_name.clone());
        }
        let cell = Cell {
            figures: format!("{} / {}", shown.actual, shown.target),
            completion: shown.completion,
        };
        match lines.iter_mut().find(|(s, _)| *s == row.subject) {
            Some((_, line)) => line.cells.push(cell),
            None => lines.push((
                row.subject.clone(),
                Line {
                    name: shown.name,
                    cells: vec![cell],
                    score: String::new(),
                },
            )),
        }
    }
    for score in &view.scores {
        if let Some((_, line)) = lines.iter_mut().find(|(s, _)| *s == score.subject) {
            let percent = format::percent(round(score.score, 4), lang);
            line.score = format!("{percent} · {}", score.grade.as_str());
        }
    }
    Table {
        title: format!("{goal_name} · {}", period_text(view.range, lang)),
        href: link_base.map(|base| {
            format!(
                "{}{}",
                base.trim_end_matches('/'),
                goal_range_href(&goal_id, view.range)
            )
        }),
        metrics,
        scored: !view.scores.is_empty(),
        lines: lines.into_iter().map(|(_, line)| line).collect(),
    }
}

/// The plain-text part: a paragraph per table, a line per person or team.
fn plain(t: &Texts, heading: &str, tables: &[Table]) -> String {
    let mut text = format!("{heading}\n{}\n", t.digest_intro);
    for table in tables {
        text.push_str(&format!("\n{}\n", table.title));
        for line in &table.lines {
            let cells: Vec<String> = table
                .metrics
                .iter()
                .zip(&line.cells)
                .map(|(metric, cell)| format!("{metric} {} ({})", cell.figures, cell.completion))
                .collect();
            text.push_str(&format!("  {}: {}", line.name, cells.join(" · ")));
            if !line.score.is_empty() {
                text.push_str(&format!(" · {} {}", t.score, line.score));
            }
            text.push('\n');
        }
        if let Some(href) = &table.href {
            text.push_str(&format!("  {}: {href}\n", t.open_in_tally));
        }
    }
    text.push_str(&format!("\n-- \n{}\n", t.digest_footer));
    text
}
