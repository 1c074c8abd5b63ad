//! On DynamoDB Local (this process's own: thousands of users would slow every later test of a
//! shared one): the export → import → export round trip at ~2,000 users, and the real
//! binary (bootstrap, import, export) reaching it through the standard AWS configuration.

mod common;

use common::{account, bootstrapped, files_of, run_import, temp_dir};
use groups_admin::export::{Format, JSONL_FILE, export};
use groups_admin::sample::{SampleSpec, write_sample};
use groups_domain::{DirectoryStore, GroupId, GroupStore, UserId};
use groups_testkit::{fresh_private_dynamo_store, private_dynamodb_endpoint};
use serde_json::Value;
use std::process::{Command, Output};

#[tokio::test]
async fn round_trip_of_two_thousand_users_is_identical() {
    let source = fresh_private_dynamo_store().await;
    bootstrapped(&source).await;
    let dir = temp_dir("dynamo-round-trip");
    let sample = dir.join("sample.jsonl");
    let spec = SampleSpec {
        users: 2000,
        root_id: "acme".into(),
        root_name: "Acme Corp".into(),
    };
    write_sample(&spec, &mut std::fs::File::create(&sample).expect("create")).expect("sample");
    let run = run_import(&source, &dir, std::slice::from_ref(&sample), |o| {
        o.user_batch = 500
    })
    .await;
    assert_eq!(run.summary.tally.refused(), 0, "{:?}", run.summary.tally);

    let first = temp_dir("dynamo-export-1");
    let exported = export(&source, &account(), &first, Format::Jsonl)
        .await
        .expect("export");
    assert_eq!(
        exported.rows.get(&groups_admin::rows::Kind::User),
        Some(&2001)
    );

    let target = fresh_private_dynamo_store().await;
    let work = temp_dir("dynamo-import");
    let file = first.join(JSONL_FILE);
    let run = run_import(&target, &work, std::slice::from_ref(&file), |_| {}).await;
    assert!(
        run.lines.iter().all(|l| l["outcome"] == "created"),
        "{:?}",
        run.summary.tally
    );
    let second = temp_dir("dynamo-export-2");
    export(&target, &account(), &second, Format::Jsonl)
        .await
        .expect("export");
    assert!(
        files_of(&first) == files_of(&second),
        "the second export differs from the first"
    );

    // What DynamoDB hands back equals what was written: a rerun changes nothing.
    let again = run_import(&target, &work, std::slice::from_ref(&file), |_| {}).await;
    let not_unchanged: Vec<&Value> = again
        .lines
        .iter()
        .filter(|l| l["outcome"] != "unchanged")
        .collect();
    assert!(not_unchanged.is_empty(), "{not_unchanged:?}");

    // Member counts are exact on the table.
    let memberships = std::fs::read_to_string(&file).expect("read");
    let id = GroupId::parse("id", "grp-onboarding").expect("id");
    let listed = memberships
        .lines()
        .filter(|l| l.contains("\"groupId\":\"grp-onboarding\""))
        .count() as u64;
    let group = target
        .get_group(&account(), &id)
        .await
        .expect("read")
        .expect("group");
    assert_eq!(group.member_count, listed);
    assert!(listed > 100);
}

/// Runs the binary against DynamoDB Local with static local credentials.
fn admin(table: &str, args: &[&str]) -> Output {
    let mut command = base_command();
    command
        .args([
            "--endpoint-url",
            private_dynamodb_endpoint(),
            "--table",
            table,
        ])
        .args(["--region", "us-east-1"])
        .args(args);
    command.output().expect("run groups-admin")
}

/// The binary with only the standard environment: AWS_ENDPOINT_URL, AWS_REGION, TABLE_NAME.
fn admin_by_environment(table: &str, args: &[&str]) -> Output {
    let mut command = base_command();
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", private_dynamodb_endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("TABLE_NAME", table);
    command.output().expect("run groups-admin")
}

fn base_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_groups-admin"));
    command
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("TABLE_NAME")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const BOOTSTRAP: [&str; 15] = [
    "bootstrap",
    "--account",
    "acme",
    "--root-id",
    "acme",
    "--root-name",
    "Acme Corp",
    "--owner-subject",
    "auth0_owner-1",
    "--owner-email",
    "olga@acme.io",
    "--owner-first-name",
    "Olga",
    "--owner-last-name",
    "Owner",
];

#[tokio::test]
async fn the_binary_bootstraps_imports_and_exports_on_dynamodb_local() {
    let store = fresh_private_dynamo_store().await;
    let table = store.table().to_owned();

    let out = admin(&table, &BOOTSTRAP);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("root department acme: created"), "{stdout}");
    assert!(
        stdout.contains("Account Owner auth0_owner-1: created"),
        "{stdout}"
    );
    let again = admin(&table, &BOOTSTRAP);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout)
            .matches("unchanged")
            .count(),
        2
    );
    let mut other = BOOTSTRAP;
    other[4] = "globex";
    let refused = admin(&table, &other);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("already has the root department acme")
    );

    let owner = UserId::parse("id", "auth0_owner-1").expect("id");
    let stored = store
        .get_user(&account(), &owner)
        .await
        .expect("read")
        .expect("owner");
    assert_eq!(stored.role.as_str(), "owner");

    let dir = temp_dir("binary");
    let sample = dir.join("sample.jsonl");
    let sample_arg = sample.display().to_string();
    let out = admin(
        &table,
        &[
            "sample",
            "--users",
            "60",
            "--out",
            &sample_arg,
            "--root-id",
            "acme",
            "--root-name",
            "Acme Corp",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = admin(&table, &["import", "--account", "acme", &sample_arg]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("users: 60 created"),
        "{}",
        text(&out)
    );
    let report = std::fs::read_to_string(format!("{sample_arg}.report.jsonl"))
        .expect("report beside the input");
    let lines: Vec<Value> = report
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let rows = std::fs::read_to_string(&sample)
        .expect("read")
        .lines()
        .count();
    assert_eq!(lines.len(), rows, "one report line per row");
    assert!(std::path::Path::new(&format!("{sample_arg}.progress")).is_file());

    // A refused row: exit 2, and the report says why.
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"type\":\"user\",\"id\":\"u-bad\",\"email\":\"nope\",\"firstName\":\"B\",\"lastName\":\"B\"}\n").expect("write");
    let out = admin(
        &table,
        &["import", "--account", "acme", &bad.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report =
        std::fs::read_to_string(format!("{}.report.jsonl", bad.display())).expect("report");
    assert!(report.contains("\"field\":\"email\""), "{report}");

    for format in ["jsonl", "csv"] {
        let out_dir = dir.join(format!("export-{format}"));
        let out = admin(
            &table,
            &[
                "export",
                "--account",
                "acme",
                "--out",
                &out_dir.display().to_string(),
                "--format",
                format,
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("users: 61"),
            "{}",
            text(&out)
        );
    }
    let by_env = dir.join("export-env");
    let out = admin_by_environment(
        &table,
        &[
            "export",
            "--account",
            "acme",
            "--out",
            &by_env.display().to_string(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read(by_env.join(JSONL_FILE)).ok(),
        std::fs::read(dir.join("export-jsonl").join(JSONL_FILE)).ok(),
        "AWS_ENDPOINT_URL and TABLE_NAME reach the same table"
    );
    let csv = std::fs::read_to_string(dir.join("export-csv/users.csv")).expect("users.csv");
    assert_eq!(csv.lines().count(), 62, "a header and 61 users");
    assert!(
        csv.contains("auth0_owner-1,olga@acme.io,Olga,Owner,acme,owner,active"),
        "{csv}"
    );
    let exported =
        std::fs::read_to_string(dir.join("export-jsonl").join(JSONL_FILE)).expect("jsonl");
    let group_members = exported.matches("\"type\":\"membership\"").count();
    assert!(group_members > 0);
}
