//! Cluster mode: the hostfile (one `host:port` per process), and the local cluster for
//! testing: `--processes N` without `--process` starts N−1 copies of this command on free
//! localhost ports and runs process 0 itself.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Reads a hostfile: one `host:port` per line; blank lines and `#` comments are skipped.
pub fn read_hostfile(text: &str) -> Result<Vec<String>, String> {
    let mut hosts = vec![];
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match line.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                hosts.push(line.to_string())
            }
            _ => {
                return Err(format!(
                    "line {} of the hostfile is `{line}`, not HOST:PORT",
                    n + 1
                ));
            }
        }
    }
    if hosts.is_empty() {
        return Err("the hostfile names no HOST:PORT".into());
    }
    Ok(hosts)
}

/// `n` ports on 127.0.0.1 that were free a moment ago (all bound at once, so distinct).
pub fn free_ports(n: usize) -> Result<Vec<u16>, String> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

/// The processes of a local cluster other than this one; killed if still running when
/// dropped, so a failing run leaves nothing behind.
pub struct LocalCluster {
    children: Vec<Child>,
}

impl LocalCluster {
    /// Starts processes 1..n as copies of this command (`args`: its arguments), each told its
    /// index and the hosts. Their standard output is dropped: process 0 prints the results.
    pub fn start(n: usize, args: &[String], hosts: &[String]) -> Result<LocalCluster, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
        let mut cluster = LocalCluster { children: vec![] };
        for i in 1..n {
            let child = Command::new(&exe)
                .args(args)
                .arg("--process")
                .arg(i.to_string())
                .arg("--hosts")
                .arg(hosts.join(","))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start process {i} of the local cluster: {e}"))?;
            cluster.children.push(child);
        }
        Ok(cluster)
    }

    /// Waits up to `limit` for every process to end; false if one failed or had to be killed.
    pub fn finish(mut self, limit: Duration) -> bool {
        let started = Instant::now();
        let mut ok = true;
        for c in &mut self.children {
            loop {
                match c.try_wait() {
                    Ok(Some(status)) => {
                        ok &= status.success();
                        break;
                    }
                    Ok(None) if started.elapsed() < limit => {
                        std::thread::sleep(Duration::from_millis(10))
                    }
                    _ => {
                        let _ = c.kill();
                        let _ = c.wait();
                        ok = false;
                        break;
                    }
                }
            }
        }
        self.children.clear();
        ok
    }

    /// Has a process of the cluster already stopped (so process 0 would wait for it forever)?
    pub fn any_failed(&mut self) -> bool {
        self.children
            .iter_mut()
            .any(|c| matches!(c.try_wait(), Ok(Some(s)) if !s.success()))
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostfiles_name_one_host_per_line() {
        let hosts =
            read_hostfile("# two machines\nalpha:2101\n\n10.0.0.2:2101 # second\n").unwrap();
        assert_eq!(hosts, vec!["alpha:2101", "10.0.0.2:2101"]);
        assert!(read_hostfile("alpha\n").unwrap_err().contains("line 1"));
        assert!(read_hostfile("# nothing\n").is_err());
    }

    #[test]
    fn free_ports_are_distinct() {
        let ports = free_ports(3).unwrap();
        assert_eq!(ports.len(), 3);
        assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
    }
}
