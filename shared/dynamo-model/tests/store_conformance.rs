//! The project's store conformance suite, run on `DynamoStore` built on the model's client:
//! every case that passes on DynamoDB Local must pass here.

use groups_dynamo_model::Model;
use groups_store::DynamoStore;
use groups_store::dynamo::create_table;
use groups_tests::conformance as suite;
use std::sync::Arc;

async fn store() -> DynamoStore {
    let model = Model::new();
    let client = model.client();
    create_table(&client, "groups").await.expect("create table");
    DynamoStore::new(client, "groups")
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                suite::$case(Arc::new(store().await)).await;
            }
        )*
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
);
