//! Resuming an interrupted import on the in-memory store.

mod common;

use common::{account, run_import, temp_dir};
use groups_admin::UserBatches;
use groups_domain::UserId;
use groups_store::MemoryStore;
use serde_json::Value;

fn uid(s: &str) -> UserId {
    UserId::parse("id", s).expect("user id")
}

/// Every (file, line) reported, as a sorted list.
fn reported(lines: &[Value]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap_or_default().to_owned(),
                l["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn an_interrupted_import_resumes_where_it_stopped() {
    let dir = temp_dir("resume");
    let file = dir.join("sample.jsonl");
    let spec = groups_admin::sample::SampleSpec {
        users: 300,
        root_id: "acme".into(),
        root_name: "Acme Corp".into(),
    };
    let mut out = std::fs::File::create(&file).expect("create");
    let rows = groups_admin::sample::write_sample(&spec, &mut out).expect("sample") as usize;

    // Interrupted in the middle of the users (41 departments, 3 roles, then users).
    let store = MemoryStore::new();
    let first = run_import(&store, &dir, std::slice::from_ref(&file), |o| {
        o.stop_after = Some(170)
    })
    .await;
    assert!(!first.summary.complete);
    assert_eq!(first.lines.len(), 170);
    let progress: Value =
        serde_json::from_slice(&std::fs::read(dir.join("import.progress")).expect("progress"))
            .expect("json");
    assert_eq!(progress["done"]["user"], 170 - 41 - 3);
    assert_eq!(progress["complete"], false);
    let users_so_far = store
        .read_users(&account(), &[uid("u0000126"), uid("u0000127")])
        .await
        .expect("read");
    assert_eq!(
        users_so_far.len(),
        1,
        "exactly the first 126 users were written"
    );

    let second = run_import(&store, &dir, std::slice::from_ref(&file), |o| {
        o.resume = true
    })
    .await;
    assert!(second.summary.complete);
    assert_eq!(second.summary.skipped, 170);
    assert_eq!(first.lines.len() + second.lines.len(), rows);
    let mut all = first.lines.clone();
    all.extend(second.lines.clone());
    let every = reported(&all);
    let mut distinct = every.clone();
    distinct.dedup();
    assert_eq!(every, distinct, "no row reported twice");
    assert!(
        all.iter().all(|l| l["outcome"] == "created"),
        "every row created once"
    );

    // The result is what a single import gives: compare exports.
    let single = MemoryStore::new();
    let other = temp_dir("resume-single");
    run_import(&single, &other, std::slice::from_ref(&file), |_| {}).await;
    let (a, b) = (temp_dir("resume-a"), temp_dir("resume-b"));
    groups_admin::export::export(&store, &account(), &a, groups_admin::export::Format::Jsonl)
        .await
        .expect("export");
    groups_admin::export::export(&single, &account(), &b, groups_admin::export::Format::Jsonl)
        .await
        .expect("export");
    let strip = |dir: &std::path::Path| -> String {
        // Creation times differ between the two stores; everything else must not.
        let text = std::fs::read_to_string(dir.join("directory.jsonl")).expect("read");
        text.lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).expect("json");
                if let Some(o) = v.as_object_mut() {
                    o.remove("createdAt");
                }
                v.to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&a), strip(&b));

    // A resume over other files is refused rather than skipping the wrong rows.
    std::fs::write(
        &file,
        "{\"type\":\"department\",\"id\":\"x\",\"name\":\"X\",\"parentId\":\"acme\"}\n",
    )
    .expect("write");
    let input = groups_admin::input::read_inputs(std::slice::from_ref(&file), None).expect("input");
    let mut options = groups_admin::import::ImportOptions::new(dir.join("import.progress"));
    options.resume = true;
    let mut report = groups_admin::report::Report::new(Vec::new());
    let err = groups_admin::import::import(
        &store,
        &account(),
        &input,
        &options,
        &mut report,
        &mut |_| {},
    )
    .await
    .expect_err("other files");
    assert!(err.0.contains("records an import of other files"), "{err}");
}
