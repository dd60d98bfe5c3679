//! `mailcensus completions` and `mailcensus man`: the shell completion scripts and the manual
//! pages, made from the command line's own definition so they never fall behind it.

use std::path::PathBuf;

use std::io::Write;

use anyhow::Context;

use super::output::{create, file_or_stdout};

#[derive(clap::Args)]
pub struct CompletionArgs {
    /// The shell: bash, zsh or fish (also elvish, powershell).
    shell: clap_complete::Shell,
}

#[derive(clap::Args)]
pub struct ManArgs {
    /// Write `mailcensus.1` and a page per command (`mailcensus-survey.1`, ...) into this
    /// folder, for `MANPATH`'s `man1/`; without it, print `mailcensus.1`.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Print the completion script of `shell` for `cli`.
pub fn completions(a: CompletionArgs, mut cli: clap::Command) -> anyhow::Result<()> {
    let name = cli.get_name().to_string();
    let mut out = file_or_stdout(None)?;
    clap_complete::generate(a.shell, &mut cli, name, &mut out);
    Ok(out.flush()?)
}

/// Print the manual page of `cli`, or write it and one per subcommand into `--out`.
pub fn man(a: ManArgs, cli: clap::Command) -> anyhow::Result<()> {
    let Some(dir) = a.out else {
        let mut out = file_or_stdout(None)?;
        clap_mangen::Man::new(cli).render(&mut out)?;
        return Ok(out.flush()?);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // A subcommand's page is named as `man` finds it: `mailcensus-survey`.
    let name = cli.get_name().to_string();
    let subcommands = cli.get_subcommands().map(|c| {
        let command = c.clone().bin_name(format!("{name} {}", c.get_name()));
        (format!("{name}-{}", c.get_name()), command)
    });
    let pages: Vec<(String, clap::Command)> = std::iter::once((name.clone(), cli.clone()))
        .chain(subcommands)
        .collect();
    for (page, command) in &pages {
        let path = dir.join(format!("{page}.1"));
        let mut out = create(&path)?;
        clap_mangen::Man::new(command.clone())
            .title(page.to_uppercase())
            .render(&mut out)?;
        out.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("wrote {} manual pages to {}", pages.len(), dir.display());
    Ok(())
}
