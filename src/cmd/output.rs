//! Output paths: checked before a command starts (so that a path that cannot
//! be written stops it at once, exit 2, with nothing created), created once it
//! has started, and written whole; and printing to a standard output whose
//! reader may have gone away.

use std::path::Path;

/// The reason an I/O error gives, without the temporary file's path that
/// `tempfile` adds (the path the user named is said by the caller).
fn io_reason(e: &std::io::Error) -> String {
    let mut reason: &dyn std::error::Error = e;
    if let Some(inner) = e.get_ref() {
        reason = inner;
        while let Some(deeper) = reason.source() {
            reason = deeper;
        }
    }
    reason.to_string()
}

/// The directory a file at `path` is written in.
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Checks, before a command starts, that a report can be written at `path`
/// (named by `option`, e.g. `--report`): its directory exists and takes a new
/// file, and the path is not a directory. Leaves nothing behind.
pub fn check_output_file(option: &str, path: &Path) -> anyhow::Result<()> {
    let shown = path.display();
    if path.is_dir() {
        anyhow::bail!("{option} {shown}: is a directory; name a file");
    }
    let dir = parent_dir(path);
    match std::fs::metadata(dir) {
        Err(e) => anyhow::bail!(
            "{option} {shown}: cannot write there: {}: {e}",
            dir.display()
        ),
        Ok(m) if !m.is_dir() => {
            anyhow::bail!(
                "{option} {shown}: cannot write there: {} is not a directory",
                dir.display()
            )
        }
        Ok(_) => {}
    }
    tempfile::Builder::new()
        .prefix(".tapedeck-check-")
        .tempfile_in(dir)
        .map_err(|e| anyhow::anyhow!("{option} {shown}: cannot write there: {}", io_reason(&e)))?;
    Ok(())
}

/// Checks, before a command starts, that fixtures can be written into `dir`
/// (named by `option`, e.g. `--out`), without creating it: an existing
/// directory must take new files; a missing one, its nearest existing
/// ancestor must be a directory that takes new entries. Leaves nothing behind.
pub fn check_output_dir(option: &str, dir: &Path) -> anyhow::Result<()> {
    let shown = dir.display();
    let mut existing = dir;
    loop {
        match std::fs::metadata(existing) {
            Ok(m) if m.is_dir() => break,
            Ok(_) if existing == dir => anyhow::bail!("{option} {shown}: is not a directory"),
            Ok(_) => anyhow::bail!(
                "{option} {shown}: cannot create it: {} is not a directory",
                existing.display()
            ),
            Err(e)
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                anyhow::bail!(
                    "{option} {shown}: cannot create it: {}: {e}",
                    existing.display()
                )
            }
            Err(e) if parent_dir(existing) == existing => {
                anyhow::bail!("{option} {shown}: cannot create it: {e}")
            }
            Err(_) => existing = parent_dir(existing),
        }
    }
    let probe = tempfile::Builder::new()
        .prefix(".tapedeck-check-")
        .tempdir_in(existing);
    if let Err(e) = probe {
        let what = if existing == dir {
            "cannot write in it".to_owned()
        } else {
            format!("cannot create it in {}", existing.display())
        };
        anyhow::bail!("{option} {shown}: {what}: {}", io_reason(&e));
    }
    Ok(())
}

/// Creates `dir` (checked by [`check_output_dir`]) once the command has
/// started, and says so if that still fails.
pub fn create_output_dir(option: &str, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("{option} {}: cannot create it: {e}", dir.display()))
}

/// Writes a report file whole: a temporary file beside it, then a rename.
pub fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let fail =
        |e: &std::io::Error| anyhow::anyhow!("cannot write {}: {}", path.display(), io_reason(e));
    let mut tmp = tempfile::NamedTempFile::new_in(parent_dir(path)).map_err(|e| fail(&e))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

/// Prints to standard output for a command that does more than print: a
/// reader that went away (`| head`) ends the printing, not the command, so
/// what comes after (report files, clean-up) still happens.
pub fn print_out(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
