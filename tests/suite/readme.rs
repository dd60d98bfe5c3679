//! The README as a user reads it: every table, script and command it names is real, and no
//! section outgrows a reader.

use std::path::Path;

use mailcensus::tabulate::TableName;

use crate::common;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The README's lines outside fenced code blocks, numbered from 1, with whether each is inside
/// one (a `#` line in a shell block is a comment, not a heading).
fn lines(text: &str) -> Vec<(usize, &str, bool)> {
    let mut fenced = false;
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if l.starts_with("```") {
                fenced = !fenced;
                return (i + 1, l, true);
            }
            (i + 1, l, fenced)
        })
        .collect()
}

#[test]
fn the_run_folder_lists_every_table_in_publication_order() {
    let text = readme();
    let row = text
        .lines()
        .find(|l| l.starts_with("| `tables/` |"))
        .expect("the run folder's table has a `tables/` row");
    let named: Vec<&str> = row
        .split('`')
        .filter(|s| s.ends_with(".csv") && !s.contains(' '))
        .collect();
    let files: Vec<String> = TableName::ALL.iter().map(|t| t.file()).collect();
    assert_eq!(named, files);
}

#[test]
fn every_script_the_readme_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = readme();
    let mut named = 0;
    for (at, _) in text.match_indices("scripts/") {
        let path: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "_./-".contains(*c))
            .collect();
        let path = path.trim_end_matches('.');
        assert!(root.join(path).exists(), "the README names {path}");
        named += 1;
    }
    assert!(named > 10, "{named}");
}

/// The subcommands `mailcensus --help` lists (`help` included).
fn subcommands() -> Vec<String> {
    let help = String::from_utf8(common::mailcensus(["--help"])).unwrap();
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert!(commands.iter().any(|c| c == "survey"), "{help}");
    commands
}

#[test]
fn every_command_the_readme_names_exists() {
    let commands = subcommands();
    let text = readme();
    // In code: `mailcensus X ...` spans and the lines of fenced blocks.
    let mut code: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
    code.extend(lines(&text).iter().filter(|l| l.2).map(|l| l.1));
    let mut named = 0;
    for snippet in code {
        for (at, _) in snippet.match_indices("mailcensus ") {
            let word: String = snippet[at + "mailcensus ".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            if word.is_empty() {
                continue;
            }
            assert!(
                commands.contains(&word),
                "the README names `mailcensus {word}`"
            );
            named += 1;
        }
    }
    assert!(named > 10, "{named}");
}

#[test]
fn the_install_step_completions_and_manual_pages_cover_every_command() {
    let text = readme();
    let install = text
        .split("\n## ")
        .find(|s| s.starts_with("Install"))
        .unwrap();
    assert!(install.contains("cargo install --path ."), "{install}");
    let commands = subcommands();
    for shell in ["bash", "zsh", "fish"] {
        assert!(install.contains(&format!("completions {shell}")), "{shell}");
        let script = String::from_utf8(common::mailcensus(["completions", shell])).unwrap();
        assert!(script.len() > 1000, "{shell}: {script}");
        for c in commands.iter().filter(|c| *c != "help") {
            assert!(script.contains(c.as_str()), "{shell} completes no `{c}`");
        }
    }
    let dir = common::tempdir().unwrap();
    common::mailcensus(["man", "--out", dir.path().to_str().unwrap()]);
    let pages = commands.iter().filter(|c| *c != "help");
    for page in
        std::iter::once("mailcensus".to_string()).chain(pages.map(|c| format!("mailcensus-{c}")))
    {
        let text = std::fs::read_to_string(dir.path().join(format!("{page}.1"))).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
    }
    let top = std::fs::read_to_string(dir.path().join("mailcensus.1")).unwrap();
    assert!(top.contains("survey") && top.contains("tabulate"), "{top}");
}

#[test]
fn no_section_is_over_120_lines() {
    let text = readme();
    let all = lines(&text);
    let headings: Vec<(usize, &str)> = all
        .iter()
        .filter(|(_, l, fenced)| !fenced && l.starts_with('#'))
        .map(|(n, l, _)| (*n, *l))
        .collect();
    let ends = headings
        .iter()
        .skip(1)
        .map(|(n, _)| *n)
        .chain([all.len() + 1]);
    for ((start, heading), end) in headings.iter().zip(ends) {
        assert!(end - start <= 120, "{heading}: {} lines", end - start);
    }
}
