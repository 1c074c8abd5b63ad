//! Runs every conformance case on the in-memory store, on DynamoDB Local, and on the DynamoDB
//! adapter over the in-process model of DynamoDB that scale runs use (so the model answers as
//! DynamoDB does wherever the adapter relies on it).

use groups_store::MemoryStore;
use groups_testkit::fresh_dynamo_store;
use groups_tests::conformance as suite;
use std::sync::Arc;

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    suite::$case(Arc::new(MemoryStore::new())).await;
                }
            )*
        }
        mod dynamodb {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let (store, _) = fresh_dynamo_store().await;
                    suite::$case(Arc::new(store)).await;
                }
            )*
        }
        mod model {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let limits = groups_testkit::limits::Limits::default();
                    let (store, _model) =
                        groups_testkit::model_store(&limits, groups_store::CallCounter::new()).await;
                    suite::$case(Arc::new(store)).await;
                }
            )*
        }
    };
}

conformance!(
    pages_250_groups_in_both_directions,
    titles_differing_only_in_case_are_rejected,
    rename_moves_the_title_claim_and_versions_guard_lost_updates,
    concurrent_adds_keep_an_exact_count,
    concurrent_creates_of_one_title_let_exactly_one_win,
    delete_removes_the_group_and_its_memberships,
    a_users_groups_follow_adds_and_removes,
    bulk_adds_answer_added_already_not_found_and_out_of_scope,
    smart_groups_refuse_manual_members,
    list_filters_by_kind_title_and_scope,
    users_by_department_only_and_nested,
    departments_and_roles_round_trip,
    directory_writes_are_conditioned,
    checkpoints_and_rule_history_round_trip,
    evaluation_records_never_overwrite_a_newer_request,
    every_smart_group_of_an_account_is_found_once,
    users_are_found_by_login_name,
);
