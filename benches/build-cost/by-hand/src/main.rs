//! Lists the account's mTLS certificates, every page, by hand: no retries, no pacing, errors
//! as text.
use serde::Deserialize;

#[derive(Deserialize)]
struct Envelope {
    success: bool,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
    #[serde(default)]
    result: Vec<Certificate>,
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct Certificate {
    id: String,
    name: Option<String>,
    expires_on: Option<String>,
}

#[derive(Deserialize)]
struct ResultInfo {
    total_pages: Option<u64>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("CLOUDFLARE_API_TOKEN")?;
    let account = std::env::var("CLOUDFLARE_ACCOUNT_ID")?;
    let base = std::env::var("CLOUDFLARE_BASE_URL").unwrap_or_else(|_| "https://api.cloudflare.com/client/v4".into());
    let client = reqwest::blocking::Client::new();
    let mut page = 1;
    loop {
        let url = format!("{base}/accounts/{account}/mtls_certificates?page={page}&per_page=50");
        let envelope: Envelope = client.get(url).bearer_auth(&token).send()?.json()?;
        if !envelope.success {
            return Err(format!("the API refused: {:?}", envelope.errors).into());
        }
        for cert in envelope.result {
            println!("{} {} {:?}", cert.id, cert.name.unwrap_or_default(), cert.expires_on);
        }
        if page >= envelope.result_info.and_then(|i| i.total_pages).unwrap_or(1) {
            return Ok(());
        }
        page += 1;
    }
}
