//! The organisation's sales channels, `GET /api/v1/channels` (every role) and
//! `PUT /api/v1/channels/{id}` (owners and admins), and the sales by channel,
//! `GET /api/v1/reports/channels` as JSON, CSV or XLSX (`tally_app::channels`).

use super::openapi;
use super::query::{JsonObject, PathId, QueryParams, compare, only_known, report_range};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::export::{self, Cells, Column, ExportFormat, Lang};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use tally_app::channels::{Channel, Compared, SalesByChannel, SalesFigures};
use tally_core::Currency;
use tally_core::quantity::round;
use tally_core::views::Compare;
use utoipa::ToSchema;

/// A channel as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ChannelJson {
    id: String,
    name: String,
    active: bool,
    position: i64,
    /// The numbers called and queues whose inbound calls come from it.
    lines: Vec<String>,
}

impl ChannelJson {
    fn of(channel: Channel) -> ChannelJson {
        ChannelJson {
            id: channel.id,
            name: channel.name,
            active: channel.active,
            position: channel.position,
            lines: channel.lines,
        }
    }
}

/// `GET /api/v1/channels`: every channel, in list order, retired ones too.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, description = "The answer", body = Vec<ChannelJson>), openapi::Refusals))]
pub async fn list(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> Result<Json<Vec<ChannelJson>>, ApiError> {
    let channels = state.app.channels().await?;
    Ok(Json(channels.into_iter().map(ChannelJson::of).collect()))
}

/// `PUT /api/v1/channels/{id}` `{"name", "active?", "position?", "lines?"}`: adds or
/// changes a channel (owners and admins). A channel is never deleted; `active: false`
/// retires it.
#[utoipa::path(put, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = String, Path, description = "Lowercase letters, digits, _ and -")),
    request_body = openapi::ChannelInput,
    responses((status = 200, description = "The channel", body = ChannelJson), openapi::Refusals))]
pub async fn save(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<ChannelJson>, ApiError> {
    let channel = state.app.save_channel(&caller, &id, &body).await?;
    Ok(Json(ChannelJson::of(channel)))
}

/// `GET /api/v1/reports/channels`: the sales by channel over a range (`period`, default
/// `today`, or `from`/`to`), compared with `compare` (`previous` or `year`), of the
/// people the caller sees; as JSON, CSV or XLSX (`format`), headers in `lang`.
#[utoipa::path(get, path = "/api/v1/reports/channels", tag = "reports",
    params(openapi::RangeParams, openapi::CompareParams, openapi::ExportParams),
    responses((status = 200, description = "The report; with `format=csv` or `xlsx`, its rows as a file",
        content((SalesJson = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        openapi::Refusals))]
pub async fn report(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Response, ApiError> {
    only_known(
        &params,
        &["period", "from", "to", "compare", "format", "lang"],
    )?;
    let (format, lang) = export::format_and_lang(&params)?;
    let range = report_range(&params, state.app.org())?;
    let sales = state
        .app
        .sales_by_channel(&caller, range, compare(&params)?)
        .await?;
    let body = SalesJson::of(&sales, &state.app.org().currency, lang);
    match format {
        ExportFormat::Json => Ok(Json(body).into_response()),
        ExportFormat::Csv => Ok(export::download(
            format,
            "sales-by-channel",
            export::csv(&columns(&sales), &body.rows(), lang)?,
        )),
        ExportFormat::Xlsx => {
            let sheet = match lang {
                Lang::Vi => "Doanh số theo kênh",
                Lang::En => "Sales by channel",
            };
            let bytes = export::xlsx_sheet(sheet, &columns(&sales), &body.rows(), lang)?;
            Ok(export::download(format, "sales-by-channel", bytes))
        }
    }
}

/// The report as the API writes it: each channel's figures and its people's.
#[derive(Serialize, ToSchema)]
pub struct SalesJson {
    from: String,
    to: String,
    compare: &'static str,
    previous_from: String,
    previous_to: String,
    currency: String,
    channels: Vec<ChannelSalesJson>,
    total: ComparedJson,
}

/// A channel's figures (`channel` is `""` for records with none), and its people's.
#[derive(Serialize, ToSchema)]
pub struct ChannelSalesJson {
    channel: String,
    name: String,
    figures: ComparedJson,
    people: Vec<PersonSalesJson>,
}

/// One person's figures in a channel.
#[derive(Serialize, ToSchema)]
pub struct PersonSalesJson {
    user_id: String,
    name: String,
    figures: ComparedJson,
}

/// Figures over the range (`now`), over the range compared with (`previous`), and the
/// change.
#[derive(Serialize, ToSchema)]
pub struct ComparedJson {
    now: FiguresJson,
    previous: FiguresJson,
    change: FiguresJson,
}

/// Counts as numbers, money as decimal strings, the win rate as a fraction string
/// (`null` when nothing was decided, the average deal when nothing was won).
#[derive(Serialize, ToSchema)]
pub struct FiguresJson {
    customers_new: i64,
    opportunities_new: i64,
    opportunities_won: i64,
    opportunities_lost: i64,
    revenue: String,
    win_rate: Option<String>,
    average_deal: Option<String>,
}

impl SalesJson {
    fn of(sales: &SalesByChannel, currency: &Currency, lang: Lang) -> SalesJson {
        let none = match lang {
            Lang::Vi => "Chưa rõ kênh",
            Lang::En => "No channel",
        };
        SalesJson {
            from: sales.range.from.to_string(),
            to: sales.range.to.to_string(),
            compare: sales.compare.as_str(),
            previous_from: sales.previous.from.to_string(),
            previous_to: sales.previous.to.to_string(),
            currency: currency.code.clone(),
            channels: sales
                .channels
                .iter()
                .map(|c| ChannelSalesJson {
                    channel: c.channel.clone(),
                    name: if c.channel.is_empty() {
                        none.to_owned()
                    } else {
                        c.name.clone()
                    },
                    figures: ComparedJson::of(&c.figures, currency),
                    people: c
                        .people
                        .iter()
                        .map(|p| PersonSalesJson {
                            user_id: p.user_id.clone(),
                            name: p.name.clone(),
                            figures: ComparedJson::of(&p.figures, currency),
                        })
                        .collect(),
                })
                .collect(),
            total: ComparedJson::of(&sales.total, currency),
        }
    }

    /// The export's rows: each channel, then each of its people.
    fn rows(&self) -> Vec<ExportRow<'_>> {
        let mut rows = Vec::new();
        for channel in &self.channels {
            rows.push(ExportRow {
                channel,
                person: None,
            });
            for person in &channel.people {
                rows.push(ExportRow {
                    channel,
                    person: Some(person),
                });
            }
        }
        rows
    }
}

impl ComparedJson {
    fn of(figures: &Compared, currency: &Currency) -> ComparedJson {
        let (now, before) = (&figures.now, &figures.before);
        let in_money = |minor: Decimal| money(minor, currency);
        let difference = |a: Option<Decimal>, b: Option<Decimal>| a.zip(b).map(|(a, b)| a - b);
        ComparedJson {
            now: FiguresJson::of(now, currency),
            previous: FiguresJson::of(before, currency),
            change: FiguresJson {
                customers_new: now.customers_new - before.customers_new,
                opportunities_new: now.opportunities_new - before.opportunities_new,
                opportunities_won: now.opportunities_won - before.opportunities_won,
                opportunities_lost: now.opportunities_lost - before.opportunities_lost,
                revenue: in_money(Decimal::from(now.revenue_minor - before.revenue_minor)),
                win_rate: difference(now.win_rate(), before.win_rate()).map(fraction),
                average_deal: difference(now.average_deal_minor(), before.average_deal_minor())
                    .map(in_money),
            },
        }
    }
}

/// A fraction as the API writes it: a decimal string to 4 places.
fn fraction(value: Decimal) -> String {
    round(value, 4).normalize().to_string()
}

/// An amount in minor units as the API writes money: a decimal string in the
/// currency's minor places.
fn money(minor: Decimal, currency: &Currency) -> String {
    round(currency.from_minor_decimal(minor), currency.exponent)
        .normalize()
        .to_string()
}

impl FiguresJson {
    fn of(figures: &SalesFigures, currency: &Currency) -> FiguresJson {
        let in_money = |minor: Decimal| money(minor, currency);
        FiguresJson {
            customers_new: figures.customers_new,
            opportunities_new: figures.opportunities_new,
            opportunities_won: figures.opportunities_won,
            opportunities_lost: figures.opportunities_lost,
            revenue: in_money(Decimal::from(figures.revenue_minor)),
            win_rate: figures.win_rate().map(fraction),
            average_deal: figures.average_deal_minor().map(in_money),
        }
    }

    fn cell(&self, key: &str) -> String {
        let shown = |v: &Option<String>| v.clone().unwrap_or_default();
        match key {
            "customers_new" => self.customers_new.to_string(),
            "opportunities_new" => self.opportunities_new.to_string(),
            "opportunities_won" => self.opportunities_won.to_string(),
            "opportunities_lost" => self.opportunities_lost.to_string(),
            "revenue" => self.revenue.clone(),
            "win_rate" => shown(&self.win_rate),
            "average_deal" => shown(&self.average_deal),
            _ => String::new(),
        }
    }
}

/// A row of the export: a channel's total, or one person in it.
struct ExportRow<'a> {
    channel: &'a ChannelSalesJson,
    person: Option<&'a PersonSalesJson>,
}

impl Cells for ExportRow<'_> {
    fn cell(&self, key: &str) -> String {
        let figures = self.person.map_or(&self.channel.figures, |p| &p.figures);
        match key.split_once('/') {
            Some(("previous", key)) => figures.previous.cell(key),
            Some(("change", key)) => figures.change.cell(key),
            _ => match key {
                "channel" => self.channel.channel.clone(),
                "channel_name" => self.channel.name.clone(),
                "user_id" => self.person.map(|p| p.user_id.clone()).unwrap_or_default(),
                "name" => self.person.map(|p| p.name.clone()).unwrap_or_default(),
                key => figures.now.cell(key),
            },
        }
    }
}

/// The export's columns: who, then each figure now, over the range compared with
/// (named for it), and the change.
fn columns(sales: &SalesByChannel) -> Vec<Column> {
    let before = match sales.compare {
        Compare::Year => YEAR_BEFORE,
        Compare::Previous => PREVIOUS,
    };
    [&WHO[..], &NOW, &before, &CHANGE].concat()
}

const WHO: [Column; 4] = [
    export::text("channel", "Channel ID", "Mã kênh"),
    export::text("channel_name", "Channel", "Kênh"),
    export::text("user_id", "User ID", "Mã nhân viên"),
    export::text("name", "Name", "Tên"),
];

const NOW: [Column; 7] = [
    export::number("customers_new", "New customers", "Khách hàng mới"),
    export::number("opportunities_new", "New opportunities", "Cơ hội mới"),
    export::number("opportunities_won", "Won", "Thắng"),
    export::number("opportunities_lost", "Lost", "Thua"),
    export::number("revenue", "Revenue", "Doanh số"),
    export::number("win_rate", "Win rate", "Tỷ lệ thắng"),
    export::number(
        "average_deal",
        "Average deal",
        "Giá trị TB một cơ hội thắng",
    ),
];

const PREVIOUS: [Column; 7] = [
    export::number(
        "previous/customers_new",
        "New customers (previous period)",
        "Khách hàng mới kỳ trước",
    ),
    export::number(
        "previous/opportunities_new",
        "New opportunities (previous period)",
        "Cơ hội mới kỳ trước",
    ),
    export::number(
        "previous/opportunities_won",
        "Won (previous period)",
        "Thắng kỳ trước",
    ),
    export::number(
        "previous/opportunities_lost",
        "Lost (previous period)",
        "Thua kỳ trước",
    ),
    export::number(
        "previous/revenue",
        "Revenue (previous period)",
        "Doanh số kỳ trước",
    ),
    export::number(
        "previous/win_rate",
        "Win rate (previous period)",
        "Tỷ lệ thắng kỳ trước",
    ),
    export::number(
        "previous/average_deal",
        "Average deal (previous period)",
        "Giá trị TB kỳ trước",
    ),
];

const YEAR_BEFORE: [Column; 7] = [
    export::number(
        "previous/customers_new",
        "New customers (same period last year)",
        "Khách hàng mới cùng kỳ năm trước",
    ),
    export::number(
        "previous/opportunities_new",
        "New opportunities (same period last year)",
        "Cơ hội mới cùng kỳ năm trước",
    ),
    export::number(
        "previous/opportunities_won",
        "Won (same period last year)",
        "Thắng cùng kỳ năm trước",
    ),
    export::number(
        "previous/opportunities_lost",
        "Lost (same period last year)",
        "Thua cùng kỳ năm trước",
    ),
    export::number(
        "previous/revenue",
        "Revenue (same period last year)",
        "Doanh số cùng kỳ năm trước",
    ),
    export::number(
        "previous/win_rate",
        "Win rate (same period last year)",
        "Tỷ lệ thắng cùng kỳ năm trước",
    ),
    export::number(
        "previous/average_deal",
        "Average deal (same period last year)",
        "Giá trị TB cùng kỳ năm trước",
    ),
];

const CHANGE: [Column; 7] = [
    export::number(
        "change/customers_new",
        "New customers (change)",
        "Khách hàng mới (thay đổi)",
    ),
    export::number(
        "change/opportunities_new",
        "New opportunities (change)",
        "Cơ hội mới (thay đổi)",
    ),
    export::number(
        "change/opportunities_won",
        "Won (change)",
        "Thắng (thay đổi)",
    ),
    export::number(
        "change/opportunities_lost",
        "Lost (change)",
        "Thua (thay đổi)",
    ),
    export::number("change/revenue", "Revenue (change)", "Doanh số (thay đổi)"),
    export::number(
        "change/win_rate",
        "Win rate (change)",
        "Tỷ lệ thắng (thay đổi)",
    ),
    export::number(
        "change/average_deal",
        "Average deal (change)",
        "Giá trị TB (thay đổi)",
    ),
];
