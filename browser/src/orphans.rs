//! Chromium processes left behind by a worker that was killed (SIGKILL, OOM) cannot be stopped by
//! that worker. The next start finds them: their profile directory carries our prefix and their
//! parent is gone (they were re-parented to PID 1). A live worker's Chromium is never touched: its
//! parent is that worker.

use std::path::{Path, PathBuf};

/// Prefix of every profile directory this crate creates.
pub(crate) const PROFILE_PREFIX: &str = "monopco-chromium-";

/// Kills orphaned Chromium processes of earlier workers on this machine and removes their
/// profiles. Returns how many processes were killed.
pub fn reap_orphans() -> usize {
    reap_orphans_in(Path::new("/proc"))
}

fn reap_orphans_in(proc_root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return 0;
    };
    let mut killed = 0;
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Some(profile) = orphan_profile(&entry.path()) else {
            continue;
        };
        let status = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        if status.is_ok_and(|s| s.success()) {
            killed += 1;
            tracing::warn!(pid, profile = %profile.display(), "Killed an orphaned Chromium left by a dead worker");
            // Best effort: its helpers may still hold files for a moment.
            let _ = std::fs::remove_dir_all(&profile);
        }
    }
    killed
}

/// How many live processes (zombies excepted) run with this profile: Chromium and its helpers.
pub(crate) fn processes_using(profile: &Path) -> usize {
    let needle = profile.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            runs(&e.path()) && String::from_utf8_lossy(&cmdline).contains(&needle)
        })
        .count()
}

/// Whether the process with this id still runs (a zombie, or no process at all, does not).
pub(crate) fn is_running(pid: u32) -> bool {
    runs(&Path::new("/proc").join(pid.to_string()))
}

fn runs(proc_dir: &Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|st| {
            st.rsplit_once(')')
                .map(|(_, rest)| !matches!(rest.split_whitespace().next(), Some("Z" | "X")))
        })
        .unwrap_or(false)
}

/// The profile of a process that is one of our Chromiums and whose parent is gone.
fn orphan_profile(proc_dir: &Path) -> Option<PathBuf> {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, …
    let ppid: u32 = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    if ppid != 1 {
        return None;
    }
    let cmdline = std::fs::read(proc_dir.join("cmdline")).ok()?;
    cmdline.split(|b| *b == 0).find_map(|arg| {
        let arg = std::str::from_utf8(arg).ok()?;
        let dir = arg.strip_prefix("--user-data-dir=")?;
        let name = Path::new(dir).file_name()?.to_str()?;
        name.starts_with(PROFILE_PREFIX).then(|| PathBuf::from(dir))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_process(root: &Path, pid: u32, ppid: u32, args: &[&str]) {
        let dir = root.join(pid.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("stat"),
            format!("{pid} (chromium (x)) S {ppid} {pid} {pid} 0"),
        )
        .unwrap();
        std::fs::write(dir.join("cmdline"), args.join("\0")).unwrap();
    }

    #[test]
    fn only_our_chromiums_whose_parent_died_are_orphans() {
        let root = tempfile::tempdir().unwrap();
        fake_process(
            root.path(),
            100,
            1,
            &[
                "/usr/lib/chromium/chromium",
                "--user-data-dir=/tmp/monopco-chromium-abc",
            ],
        );
        fake_process(
            root.path(),
            101,
            4242,
            &[
                "/usr/lib/chromium/chromium",
                "--user-data-dir=/tmp/monopco-chromium-def",
            ],
        );
        fake_process(
            root.path(),
            102,
            1,
            &[
                "/usr/lib/chromium/chromium",
                "--user-data-dir=/home/someone/.config/chromium",
            ],
        );
        assert_eq!(
            orphan_profile(&root.path().join("100")),
            Some(PathBuf::from("/tmp/monopco-chromium-abc"))
        );
        assert_eq!(
            orphan_profile(&root.path().join("101")),
            None,
            "a live worker's browser"
        );
        assert_eq!(
            orphan_profile(&root.path().join("102")),
            None,
            "somebody else's browser"
        );
    }
}
