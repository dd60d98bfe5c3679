//! Every one of the 1,788 local governments classifies to the published type, registered
//! domain and prefecture.

use mailcensus::zone::{GeoForm, JpType, classify, normalize, refdata};

#[test]
fn all_1788_local_governments_classify_exactly() {
    let mut rdr = csv::Reader::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/localgov-1788.csv"
    ))
    .unwrap();
    let rd = refdata();
    let (mut rows, mut ok, mut with_pref) = (0, 0, 0);
    let mut failures = Vec::new();
    for row in rdr.records() {
        let row = row.unwrap();
        rows += 1;
        let (pref_name, host, jp_type, registered) = (&row[1], &row[3], &row[4], &row[5]);
        let name = normalize(host).unwrap();
        let c = classify(&name);
        let (want_type, want_form) = match jp_type {
            "GEO" => (JpType::Geographic, Some(GeoForm::Old)),
            "PREF" => (JpType::Geographic, Some(GeoForm::PrefectureType)),
            other => (JpType::parse_category(other).unwrap(), None),
        };
        let want_pref = rd.parse_prefecture(pref_name).unwrap();
        let mut good = c.jp_type == want_type && c.geo_form == want_form;
        if !registered.is_empty() {
            good &= c.registered_domain == registered;
        }
        if matches!(want_type, JpType::Lg | JpType::Geographic) {
            with_pref += 1;
            good &= c.prefecture == Some(want_pref);
        }
        good &= c.lgcode.as_deref() == Some(&row[0]);
        if good {
            ok += 1;
        } else {
            failures.push(format!(
                "{host}: {c:?} want {jp_type} {registered} {pref_name}"
            ));
        }
    }
    assert_eq!(rows, 1788);
    assert_eq!(with_pref, 754 + 914 + 9);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(ok, 1788);
}
