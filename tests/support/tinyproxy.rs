//! A real forward proxy for the tests: Debian's tinyproxy (`apt-get install -y tinyproxy`),
//! started on a free loopback port with its own configuration and log, stopped when dropped.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running tinyproxy.
pub struct Tinyproxy {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl Tinyproxy {
    /// Starts one; with `auth`, it demands those basic credentials. `None` when tinyproxy
    /// is not installed: the test is skipped (see `tools.rs`).
    pub fn start(auth: Option<(&str, &str)>) -> Option<Self> {
        if !super::tools::require("tinyproxy", "tinyproxy") {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("cf-mtls-tinyproxy-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Run as root, tinyproxy drops to `nobody`, which must be able to write its log. No
        // `ConnectPort` line: then CONNECT is allowed to every port (`ConnectPort 0` would
        // forbid it).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let mut config = format!(
            "User nobody\nGroup nogroup\nPort {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\nMaxClients 64\nAllow 127.0.0.1\n",
            dir.join("tinyproxy.log").display()
        );
        if let Some((user, password)) = auth {
            config.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let file = dir.join("tinyproxy.conf");
        std::fs::write(&file, config).unwrap();
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy is on PATH but could not be started");
        let proxy = Self { port, dir, child };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "tinyproxy did not start: {}", proxy.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(proxy)
    }

    /// `http://127.0.0.1:PORT`, with credentials if given.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("http://{user}:{password}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(self.dir.join("tinyproxy.log")) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// How many tunnels to `host:port` its log shows.
    pub fn tunnels_to(&self, authority: &str) -> usize {
        self.log().matches(&format!("CONNECT {authority} HTTP/1.1")).count()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
