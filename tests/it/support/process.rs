//! A `tapedeck` process listening on a random loopback port, for the tests that
//! need the real binary (signals, logs, exit codes). Killed on drop.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_tapedeck");

/// A running `tapedeck` subcommand.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Server {
    /// Runs `tapedeck <args> --listen 127.0.0.1:0`, logging to `log`.
    pub fn start(args: &[&str], log: PathBuf) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(args).env("NO_COLOR", "1").env_remove("RUST_LOG");
        Server::spawn(cmd, log)
    }

    /// Adds `--listen 127.0.0.1:0` to a prepared command, starts it with stderr
    /// in `log`, and reads the address from its start line.
    pub fn spawn(mut cmd: Command, log: PathBuf) -> Server {
        let mut child = cmd
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("tapedeck starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("start line");
        let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) else {
            let _ = child.kill();
            panic!(
                "no address in {line:?}; log:\n{}",
                fs::read_to_string(&log).unwrap_or_default()
            );
        };
        let url = url.trim_end_matches([',', '/', ';']).to_owned();
        Server { child, url, log }
    }

    /// What the process has logged so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (up to 20 s) for the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "did not exit after SIGTERM; log:\n{}",
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd` to the end with stdin closed and stdout and stderr captured,
/// killing it (and failing the test) if it takes longer than `budget`.
pub fn output_within(cmd: &mut Command, budget: std::time::Duration) -> std::process::Output {
    use std::io::Read as _;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tapedeck starts");
    let pipe = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = pipe(Box::new(child.stdout.take().expect("stdout")));
    let err = pipe(Box::new(child.stderr.take().expect("stderr")));
    let deadline = std::time::Instant::now() + budget;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            // Program and arguments only: the environment may hold credentials.
            let args: Vec<_> = cmd.get_args().collect();
            panic!(
                "{:?} {args:?} did not finish within {budget:?}",
                cmd.get_program()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// Sends one AdminForgetDevice request with a plain blocking client and
/// returns the whole response as text (head and body).
pub fn post_forget(url: &str, body: &str) -> String {
    send_forget(url, body, &[])
}

/// [`post_forget`], signed with SigV4 (test credentials) as an SDK signs: a
/// request that matches breaks no rule.
pub fn post_forget_signed(url: &str, body: &str) -> String {
    send_forget(
        url,
        body,
        &super::signing_headers(url, body, "test-secret-key"),
    )
}

fn send_forget(url: &str, body: &str, extra: &[(String, String)]) -> String {
    use std::io::{Read as _, Write as _};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("the server accepts");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AWSCognitoIdentityProviderService.AdminForgetDevice\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(s, "{head}\r\n{body}").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
