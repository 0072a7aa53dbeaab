//! A WASM module that uses the core the way a host would: build a `get` request, then
//! decode the response body the host passes in. It exists to be measured (BENCHMARKS.md).

use cloudflare_mtls::http::{Response, StatusCode};
use cloudflare_mtls::{AccountId, CertificateId, Config, Credentials, Endpoint, Get};

/// Memory for the host to write a response body into.
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Builds `GET .../mtls_certificates/{id}` and decodes the `len` bytes at `body` as its
/// response. Returns the request's header count plus the certificate name's length, or a
/// negative number for an error (-1 build, -2 response).
///
/// # Safety
/// `body` must point to `len` readable bytes (from [`alloc`]).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn get_certificate(body: *const u8, len: usize, status: u16) -> i32 {
    // SAFETY: the caller promises `len` readable bytes at `body`.
    let body = unsafe { std::slice::from_raw_parts(body, len) };
    let call = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").and_then(|account| {
        Ok(Get::new(account, CertificateId::new("2458ce5a0c1b4d4e8b4a6d0e0f5c3b2a")?))
    });
    let Ok(call) = call else { return -1 };
    let request = Credentials::api_token("wasm-token").and_then(|credentials| call.to_request(&Config::new(credentials)));
    let Ok(request) = request else { return -1 };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    match call.parse_response(&response) {
        Ok(cert) => (request.headers().len() + cert.name().len()) as i32,
        Err(_) => -2,
    }
}

/// The same `get`, through the fetch client: what a WASM host that lets the crate do the
/// I/O carries. Resolves to the certificate's name.
#[cfg(feature = "fetch")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn get_with_fetch(token: String, base_url: String) -> Result<String, String> {
    let config = Credentials::api_token(&token)
        .and_then(|c| Ok(Config::new(c).with_base_url(cloudflare_mtls::BaseUrl::new(base_url)?)))
        .map_err(|e| e.to_string())?;
    let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").map_err(|e| e.to_string())?;
    let id = CertificateId::new("2458ce5a0c1b4d4e8b4a6d0e0f5c3b2a").map_err(|e| e.to_string())?;
    let cert = cloudflare_mtls::fetch::client(config).get(&account, &id).await.map_err(|e| e.to_string())?;
    Ok(cert.name().to_owned())
}

/// The same `get` through the `AsyncClient` over a closure transport that asks the host for
/// the answer's bytes: the client without a transport of its own, the baseline the fetch
/// transport's weight is measured against (BENCHMARKS.md, part 5).
#[cfg(feature = "closure")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub async fn get_with_closure(token: String, base_url: String) -> Result<String, String> {
    #[wasm_bindgen::prelude::wasm_bindgen]
    extern "C" {
        /// The host's answer to a GET of `url`.
        fn host_answer(url: &str) -> Vec<u8>;
    }
    let config = Credentials::api_token(&token)
        .and_then(|c| Ok(Config::new(c).with_base_url(cloudflare_mtls::BaseUrl::new(base_url)?)))
        .map_err(|e| e.to_string())?;
    let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").map_err(|e| e.to_string())?;
    let id = CertificateId::new("2458ce5a0c1b4d4e8b4a6d0e0f5c3b2a").map_err(|e| e.to_string())?;
    let transport = |request: cloudflare_mtls::http::Request<Vec<u8>>| {
        let body = host_answer(&request.uri().to_string());
        std::future::ready(Ok::<_, std::io::Error>(Response::new(body)))
    };
    let client = cloudflare_mtls::AsyncClient::new(config, transport)
        .with_sleep(|_: std::time::Duration| std::future::ready(()))
        .with_clock(|| std::time::Duration::ZERO)
        .with_seed(7);
    let cert = client.get(&account, &id).await.map_err(|e| e.to_string())?;
    Ok(cert.name().to_owned())
}
