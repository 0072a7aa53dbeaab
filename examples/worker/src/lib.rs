//! A Worker that reports the account's mTLS certificates expiring within N days:
//! `GET /expiring?days=30` answers JSON (status 200 when none does, 409 when some do), and
//! the cron trigger logs the same report. The token is a Worker secret
//! (`wrangler secret put CLOUDFLARE_API_TOKEN`), the account a var; `CLOUDFLARE_BASE_URL`
//! may point it at another API (the fake, in tests).

use cloudflare_mtls::{AccountId, Certificate, List};
use futures_util::TryStreamExt;
use serde::Serialize;
use time::OffsetDateTime;
use worker::{Context, Env, Request, Response, ScheduleContext, ScheduledEvent, console_error, console_log, event};

/// One certificate that expires within the window.
#[derive(Serialize)]
struct Expiring {
    id: String,
    name: Option<String>,
    expires_on: String,
    days_left: i64,
}

/// What the Worker reports.
#[derive(Serialize)]
struct Report {
    checked: usize,
    within_days: i64,
    expiring: Vec<Expiring>,
}

/// A secret, else a var, of the Worker's environment.
fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|s| s.to_string()).or_else(|| env.var(name).ok().map(|v| v.to_string()))
}

async fn report(env: &Env, within_days: i64) -> Result<Report, String> {
    let account = AccountId::new(setting(env, "CLOUDFLARE_ACCOUNT_ID").unwrap_or_default())
        .map_err(|e| format!("CLOUDFLARE_ACCOUNT_ID: {e}"))?;
    let client = cloudflare_mtls::fetch::from_lookup(|name| setting(env, name)).map_err(|e| e.to_string())?;
    let all: Vec<Certificate> = client.list_all(List::new(account)).try_collect().await.map_err(|e| e.to_string())?;
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(worker::Date::now().as_millis()) * 1_000_000)
        .map_err(|e| e.to_string())?;
    let deadline = now + time::Duration::days(within_days);
    let expiring = all
        .iter()
        .filter_map(|cert| {
            let expires = cert.expires_on.filter(|at| *at <= deadline)?;
            Some(Expiring {
                id: cert.id.as_ref().map(|id| id.to_string()).unwrap_or_default(),
                name: cert.name.clone(),
                expires_on: expires.to_string(),
                days_left: (expires.get() - now).whole_days(),
            })
        })
        .collect();
    Ok(Report { checked: all.len(), within_days, expiring })
}

#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let url = request.url()?;
    if url.path() != "/expiring" {
        return Response::error("GET /expiring?days=N", 404);
    }
    let days = url.query_pairs().find(|(k, _)| k == "days").and_then(|(_, v)| v.parse().ok()).unwrap_or(30);
    match report(&env, days).await {
        Ok(report) => {
            let status = if report.expiring.is_empty() { 200 } else { 409 };
            Ok(Response::from_json(&report)?.with_status(status))
        }
        Err(why) => Response::error(why, 502),
    }
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let days = setting(&env, "EXPIRING_WITHIN_DAYS").and_then(|d| d.parse().ok()).unwrap_or(30);
    match report(&env, days).await {
        Ok(report) if report.expiring.is_empty() => {
            console_log!("OK: none of {} certificates expires within {days} days", report.checked)
        }
        Ok(report) => {
            for cert in &report.expiring {
                console_error!(
                    "expiring: {} {:?} on {} ({} days left)",
                    cert.id,
                    cert.name,
                    cert.expires_on,
                    cert.days_left
                );
            }
        }
        Err(why) => console_error!("the check failed: {why}"),
    }
}
