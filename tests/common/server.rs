//! The compiled binary, started for a test on a free loopback port.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_cookie-policy");

/// A running server; killed when dropped, if still running.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The log lines after start-up, as they come.
    pub log: mpsc::Receiver<String>,
    /// The log lines up to the one that says where it listens.
    pub startup: Vec<String>,
}

impl Server {
    /// Starts the binary in `profile` on a free loopback port, with
    /// `extra_env` on top, and waits until it listens.
    pub fn start(profile: &str, extra_env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.env("APP_ENV", profile)
            .env(
                "APP_CONFIG_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
            )
            .env("APP_SERVER__HOST", "127.0.0.1")
            .env("APP_SERVER__PORT", "0")
            .env("APP_SERVER__WORKERS", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the binary starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut startup = Vec::new();
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).expect("a start-up line within 30 s");
            startup.push(line.clone());
            if let Some(rest) = line.split("listening on ").nth(1) {
                assert!(line.contains(&format!("(profile: {profile})")), "{line}");
                break rest
                    .split_whitespace()
                    .next()
                    .expect("an address")
                    .trim_end_matches(',')
                    .to_owned();
            }
        };
        Server {
            child,
            base,
            log: rx,
            startup,
        }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The first log line from now on that contains `text`, within 10 s.
    pub fn wait_for_log(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .log
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line with {text:?} within 10 s"));
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Sends SIGTERM and waits up to `limit` for the process to exit.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        self.signal("TERM");
        self.wait(limit)
    }

    /// Sends the signal `name` (`TERM`, `INT`) to the server.
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop within {limit:?} of the signal"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary once to its end, as `cookie-policy ARGS`, with the
/// repository's configuration folder, logging off, none of the shell's
/// `APP_*` variables, and `env` on top: for a start that must fail, or a
/// subcommand.
pub fn run_once(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env(
            "APP_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env("RUST_LOG", "off");
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("APP_")) {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("the binary runs")
}
