//! Export → import into an empty store → export gives identical files, in both formats.

mod common;

use common::{account, bootstrapped, files_of, run_import, temp_dir, write};
use groups_admin::export::{Format, export};
use groups_admin::sample::{SampleSpec, write_sample};
use groups_domain::GroupStore;
use groups_store::MemoryStore;

/// A store with every kind of row: the sample, a bootstrapped Owner, unusual values.
async fn populated() -> MemoryStore {
    let store = MemoryStore::new();
    bootstrapped(&store).await;
    let dir = temp_dir("populate");
    let sample = dir.join("sample.jsonl");
    let spec = SampleSpec {
        users: 200,
        root_id: "acme".into(),
        root_name: "Acme Corp".into(),
    };
    write_sample(&spec, &mut std::fs::File::create(&sample).expect("create")).expect("sample");
    let extra = write(
        &dir,
        "extra.jsonl",
        r#"{"type":"user","id":"odd-1","email":"odd@acme.io","firstName":"Zoë, \"Z\"","lastName":"O'Neil","status":"inactive","jobTitle":"Line one\nline two","profile":{"text":"a;b","n":2.5,"since":"2021-06-01T10:00:00+02:00","tags":["x;y","z"]},"createdAt":"2019-05-06T07:08:09.123Z"}
{"type":"user","id":"nowhere","email":"n@acme.io","firstName":"No","lastName":"Dept"}
{"type":"group","id":"grp-empty","title":"Nobody yet","description":"multi\nline, with \"quotes\""}
{"type":"role","id":"nothing","name":"No permissions","permissions":[],"scope":"managedDepartments"}
"#,
    );
    let run = run_import(&store, &dir, &[sample, extra], |_| {}).await;
    assert_eq!(run.summary.tally.refused(), 0, "{:#?}", run.lines);
    store
}

async fn round_trip(format: Format) {
    let source = populated().await;
    let first = temp_dir("export-1");
    let exported = export(&source, &account(), &first, format)
        .await
        .expect("export");
    assert!(exported.rows.values().sum::<u64>() > 300, "{exported:?}");

    let target = MemoryStore::new();
    let work = temp_dir("import");
    // The export's folder is an import argument as it stands.
    let run = run_import(&target, &work, &[first.to_path_buf()], |_| {}).await;
    assert_eq!(run.summary.tally.refused(), 0, "{:#?}", run.lines);
    assert!(run.lines.iter().all(|l| l["outcome"] == "created"));

    let second = temp_dir("export-2");
    export(&target, &account(), &second, format)
        .await
        .expect("export");
    let (a, b) = (files_of(&first), files_of(&second));
    assert_eq!(a.len(), b.len());
    for ((name_a, bytes_a), (name_b, bytes_b)) in a.iter().zip(&b) {
        assert_eq!(name_a, name_b);
        assert!(
            bytes_a == bytes_b,
            "{name_a} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(bytes_a),
            String::from_utf8_lossy(bytes_b)
        );
    }
    // Member counts came through exact.
    for id in ["grp-onboarding", "grp-sales-academy", "grp-empty"] {
        let id = groups_domain::GroupId::parse("id", id).expect("id");
        let (x, y) = (
            source
                .get_group(&account(), &id)
                .await
                .expect("read")
                .expect("group"),
            target
                .get_group(&account(), &id)
                .await
                .expect("read")
                .expect("group"),
        );
        assert_eq!(x.member_count, y.member_count, "{id}");
    }
}

#[tokio::test]
async fn json_lines_round_trip_is_identical() {
    round_trip(Format::Jsonl).await;
}

#[tokio::test]
async fn csv_round_trip_is_identical() {
    round_trip(Format::Csv).await;
}
