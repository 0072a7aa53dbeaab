//! Lists the account's mTLS certificates: every page, with retries, pacing and typed errors.
use cloudflare_mtls::{AccountId, List};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = cloudflare_mtls::ureq::from_env()?;
    let account = AccountId::new(std::env::var("CLOUDFLARE_ACCOUNT_ID")?)?;
    for cert in client.list_all(List::new(account)) {
        let cert = cert?;
        println!("{} {} {:?}", cert.id.map(|id| id.into_string()).unwrap_or_default(), cert.name.unwrap_or_default(), cert.expires_on);
    }
    Ok(())
}
