//! groups-admin: bootstrap an account, import and export its directory, generate a sample.
//! DynamoDB is reached through the standard AWS configuration chain (environment, profiles,
//! SSO, instance roles); nothing here holds a credential.

use aws_config::BehaviorVersion;
use clap::{Args, Parser, Subcommand, ValueEnum};
use groups_admin::Failure;
use groups_admin::bootstrap::{BootstrapRequest, bootstrap};
use groups_admin::export::{Format, export};
use groups_admin::import::{ImportOptions, Status, import};
use groups_admin::input::read_inputs;
use groups_admin::report::{Outcome, Report};
use groups_admin::rows::Kind;
use groups_admin::sample::{SampleSpec, write_sample};
use groups_domain::AccountId;
use groups_store::DynamoStore;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "groups-admin",
    version,
    about = "Operator tool of the groups service: bootstrap an account, import and export its directory"
)]
struct Cli {
    #[command(flatten)]
    aws: AwsArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct AwsArgs {
    /// AWS region (default: the configuration chain's, e.g. AWS_REGION or the profile's)
    #[arg(long, global = true)]
    region: Option<String>,
    /// Named profile of ~/.aws/config (default: AWS_PROFILE or "default")
    #[arg(long, global = true)]
    profile: Option<String>,
    /// DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local (default:
    /// AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL when set)
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
    /// The service's table (default: TABLE_NAME)
    #[arg(long, global = true)]
    table: Option<String>,
    /// Create the table when it is missing: for DynamoDB Local only (on AWS the template does)
    #[arg(long, global = true)]
    create_table: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Create the account's root department and first Account Owner (idempotent)
    Bootstrap(BootstrapArgs),
    /// Import departments, roles, users, static groups and memberships (JSON Lines or CSV)
    ///
    /// Exits 0 when every row was applied, 2 when some rows were refused (see the report).
    Import(ImportArgs),
    /// Export the directory in the import's formats
    Export(ExportArgs),
    /// Write a synthetic directory (JSON Lines) to measure imports with
    Sample(SampleArgs),
}

#[derive(Args)]
struct BootstrapArgs {
    #[arg(long)]
    account: String,
    /// Id of the root department
    #[arg(long)]
    root_id: String,
    #[arg(long)]
    root_name: String,
    /// The owner's subject at the identity provider (the token's `sub`): their user id
    #[arg(long)]
    owner_subject: String,
    #[arg(long)]
    owner_email: String,
    #[arg(long)]
    owner_first_name: String,
    #[arg(long)]
    owner_last_name: String,
}

#[derive(Args)]
struct ImportArgs {
    #[arg(long)]
    account: String,
    /// What CSV files hold when their names do not say (departments, roles, users, groups,
    /// memberships)
    #[arg(long)]
    kind: Option<String>,
    /// Per-row report, JSON Lines (default: FILE.report.jsonl next to the first input)
    #[arg(long)]
    report: Option<PathBuf>,
    /// Progress file (default: FILE.progress next to the first input)
    #[arg(long)]
    progress: Option<PathBuf>,
    /// Skip the rows an earlier, interrupted run of the same files finished
    #[arg(long)]
    resume: bool,
    /// Apply at most N rows in this run (then --resume continues)
    #[arg(long, value_name = "N")]
    stop_after: Option<usize>,
    /// Users read and written per batch
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// JSON Lines files, CSV files, or folders holding them (as export writes)
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
}

#[derive(Args)]
struct ExportArgs {
    #[arg(long)]
    account: String,
    /// Folder to write into (created if missing)
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "jsonl")]
    format: FormatArg,
}

#[derive(Args)]
struct SampleArgs {
    #[arg(long)]
    users: usize,
    #[arg(long)]
    out: PathBuf,
    /// Root department of the sample (bootstrap the account with the same id and name)
    #[arg(long, default_value = "root")]
    root_id: String,
    #[arg(long, default_value = "Sample Corp")]
    root_name: String,
}

fn account(value: &str) -> Result<AccountId, Failure> {
    AccountId::parse("--account", value).map_err(|e| Failure(e.to_string()))
}

/// The store, configured by the standard chain plus the flags.
async fn store(aws: &AwsArgs) -> Result<DynamoStore, Failure> {
    let table = aws
        .table
        .clone()
        .or_else(|| std::env::var("TABLE_NAME").ok())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Failure("name the table with --table or TABLE_NAME".into()))?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &aws.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(profile) = &aws.profile {
        loader = loader.profile_name(profile);
    }
    let endpoint = aws.endpoint_url.clone().or_else(|| {
        ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    });
    if let Some(url) = &endpoint {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    if aws.create_table {
        let exists = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .is_ok();
        if !exists {
            groups_store::dynamo::create_table(&client, &table)
                .await
                .map_err(|e| Failure(format!("creating table {table}: {e}")))?;
        }
    }
    Ok(DynamoStore::new(client, table))
}

fn word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Created => "created",
        Outcome::Changed => "changed",
        Outcome::Unchanged => "unchanged",
        Outcome::Refused => "refused",
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Bootstrap(a) => {
            let store = store(&cli.aws).await?;
            let request = BootstrapRequest {
                root_id: a.root_id,
                root_name: a.root_name,
                owner_subject: a.owner_subject,
                owner_email: a.owner_email,
                owner_first_name: a.owner_first_name,
                owner_last_name: a.owner_last_name,
            };
            let now = time::OffsetDateTime::now_utc();
            let done = bootstrap(&store, &account(&a.account)?, &request, now).await?;
            println!("root department {}: {}", request.root_id, word(done.root));
            println!(
                "Account Owner {}: {}",
                request.owner_subject,
                word(done.owner)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(a) => run_import(&cli.aws, a).await,
        Command::Export(a) => {
            let store = store(&cli.aws).await?;
            let format = match a.format {
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Csv => Format::Csv,
            };
            let done = export(&store, &account(&a.account)?, &a.out, format).await?;
            for kind in Kind::ORDER {
                let n = done.rows.get(&kind).copied().unwrap_or(0);
                println!("{}s: {n}", kind.name());
            }
            if done.smart_groups_skipped > 0 {
                println!(
                    "smart groups left out (their rules are not an import format): {}",
                    done.smart_groups_skipped
                );
            }
            for f in &done.files {
                println!("wrote {}", f.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample(a) => {
            let spec = SampleSpec {
                users: a.users,
                root_id: a.root_id,
                root_name: a.root_name,
            };
            let file = std::fs::File::create(&a.out)
                .map_err(|e| Failure(format!("creating {}: {e}", a.out.display())))?;
            let rows = write_sample(&spec, &mut std::io::BufWriter::new(file))?;
            println!("wrote {rows} rows to {}", a.out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `FILE.suffix` beside the first input (a folder's sibling for a folder).
fn beside(first: &Path, suffix: &str) -> PathBuf {
    let name = first.to_string_lossy();
    PathBuf::from(format!("{}{suffix}", name.trim_end_matches('/')))
}

async fn run_import(aws: &AwsArgs, a: ImportArgs) -> Result<ExitCode, Failure> {
    let account = account(&a.account)?;
    let kind = match a.kind.as_deref() {
        None => None,
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            Failure(format!(
                "--kind {k:?}: must be departments, roles, users, groups or memberships"
            ))
        })?),
    };
    let input = read_inputs(&a.files, kind)?;
    let first = a.files.first().cloned().unwrap_or_default();
    let report_path = a.report.unwrap_or_else(|| beside(&first, ".report.jsonl"));
    let mut options = ImportOptions::new(a.progress.unwrap_or_else(|| beside(&first, ".progress")));
    options.resume = a.resume;
    options.stop_after = a.stop_after;
    options.user_batch = a.batch;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(a.resume)
        .truncate(!a.resume)
        .open(&report_path)
        .map_err(|e| Failure(format!("opening {}: {e}", report_path.display())))?;
    let mut report = Report::new(std::io::BufWriter::new(file));
    let store = store(aws).await?;
    let terminal = std::io::stderr().is_terminal();
    let mut show = |s: &Status| {
        if terminal {
            let rate = s.rows_this_run as f64 / s.elapsed.as_secs_f64().max(0.001);
            let what = match s.phase {
                "unreadable" => "unreadable lines".to_owned(),
                kind => format!("{kind}s"),
            };
            eprint!(
                "\r{what}: {}/{} rows ({rate:.0} rows/s)\x1b[K",
                s.done, s.total
            );
            let _ = std::io::stderr().flush();
        }
    };
    let summary = import(&store, &account, &input, &options, &mut report, &mut show).await;
    if terminal {
        eprintln!();
    }
    // Every batch done so far is recorded: say how to go on.
    let summary = summary.map_err(|e| {
        Failure(format!(
            "{e}\nprogress is saved in {}: rerun with --resume to continue after the last batch done",
            options.progress_path.display()
        ))
    })?;
    for line in summary.tally.lines() {
        eprintln!("{line}");
    }
    let secs = summary.elapsed.as_secs_f64();
    eprintln!(
        "{} rows in {secs:.1} s ({:.0} rows/s){}; report: {}",
        summary.rows_this_run,
        summary.rows_this_run as f64 / secs.max(0.001),
        if summary.skipped > 0 {
            format!(", {} skipped as done by an earlier run", summary.skipped)
        } else {
            String::new()
        },
        report_path.display()
    );
    if !summary.complete {
        eprintln!("stopped before the end; continue with --resume");
    }
    Ok(if summary.tally.refused() > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("groups-admin: {e}");
            ExitCode::FAILURE
        }
    }
}
