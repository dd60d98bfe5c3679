//! `mailcensus trend` over two surveys of simulated populations whose specs differ in one
//! type's DMARC count: the change is exactly the spec's, every other change zero.

mod common;

use mailcensus::sim::{Faults, Population, TypeSpec};
use mailcensus::zone::JpType;

use common::serve_and_survey;

#[test]
fn trend_shows_the_difference_between_two_specs() {
    let before = TypeSpec::jp_2018().scaled(200);
    let mut after = before.clone();
    let co = &mut after
        .types
        .iter_mut()
        .find(|(t, _)| *t == JpType::Co)
        .unwrap()
        .1;
    co.dmarc += 40;
    let (_d1, run1, _) = serve_and_survey(
        Population::new(1, Some(&before), None).unwrap(),
        Faults::default(),
        |_| {},
    );
    // The later run starts later: the manifest's clock has one-second resolution.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (_d2, run2, _) = serve_and_survey(
        Population::new(2, Some(&after), None).unwrap(),
        Faults::default(),
        |_| {},
    );
    // Given newest first: trend orders by start time.
    let stdout = common::mailcensus([
        "trend".as_ref(),
        "--lang".as_ref(),
        "en".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        run2.as_os_str(),
        run1.as_os_str(),
    ]);
    let text = String::from_utf8(stdout).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let (_, b) = before.types.iter().find(|(t, _)| *t == JpType::Co).unwrap();
    let get = |group: &str, measure: &str, second: bool| {
        rows.iter()
            .filter(|r| &r[0] == group && &r[1] == measure)
            .nth(usize::from(second))
            .unwrap()
            .clone()
    };
    let first = get("type:CO", "dmarc", false);
    let second = get("type:CO", "dmarc", true);
    assert_eq!(first[4].parse::<u64>().unwrap(), b.dmarc);
    assert_eq!(second[4].parse::<u64>().unwrap(), b.dmarc + 40);
    assert_eq!(&first[7], "-");
    let want = mailcensus::tabulate::change_points(
        &mailcensus::tabulate::Measure {
            count: b.dmarc,
            denominator: b.mx,
            unresolved: 0,
        },
        &mailcensus::tabulate::Measure {
            count: b.dmarc + 40,
            denominator: b.mx,
            unresolved: 0,
        },
    )
    .unwrap();
    assert_eq!(&second[7], want.as_str());
    assert!(second[7].starts_with('+') && &second[7] != "+0.0");
    // Nothing else moved.
    for r in rows.iter().filter(|r| &r[7] != "-") {
        let moved = (&r[0] == "type:CO" || &r[0] == "type:ALL") && &r[1] == "dmarc";
        assert_eq!(moved, &r[7] != "+0.0", "{r:?}");
    }
}
