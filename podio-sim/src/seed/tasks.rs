//! Seeded tasks and task labels: on the demo item, on tickets, on apps and
//! workspaces, personal ones, private ones, some completed.

use super::*;
use crate::world::tasks::{Label, Task, TaskRef};
use crate::world::{Caller, World};

/// Label ids.
const SALES: u64 = 9;
const FOLLOW_UP: u64 = 10;
const SUPPORT: u64 = 11;
const URGENT: u64 = 12;

/// The "Invoice shows wrong VAT number" ticket.
const VAT_TICKET_ID: u64 = 987_655_002;
/// The "Webhook deliveries delayed" ticket.
const WEBHOOK_TICKET_ID: u64 = 987_655_005;

/// One seeded task; fields left out are empty, unset or false.
#[derive(Default)]
struct Row {
    task_id: u64,
    text: &'static str,
    description: &'static str,
    reference: Option<TaskRef>,
    responsible: u64,
    creator: u64,
    created_on: &'static str,
    due_date: Option<&'static str>,
    due_time: Option<&'static str>,
    labels: &'static [u64],
    /// Completion time and the user who completed it.
    completed: Option<(&'static str, u64)>,
    private: bool,
}

fn rows() -> [Row; 12] {
    [
        Row {
            task_id: DEMO_TASK_ID,
            text: "Send contract to Acme",
            description: "Use the 2024 template",
            reference: Some(TaskRef::Item(DEMO_ITEM_ID)),
            responsible: DEMO_USER_ID,
            creator: DEMO_USER_ID,
            created_on: "2024-03-05 11:02:00",
            due_date: Some("2024-04-10"),
            due_time: Some("17:00:00"),
            labels: &[SALES],
            ..Row::default()
        },
        Row {
            task_id: 15_127,
            text: "Call Acme about seat count",
            description: "They may need 5 more seats for support",
            reference: Some(TaskRef::Item(DEMO_ITEM_ID)),
            responsible: BOB_USER_ID,
            creator: DEMO_USER_ID,
            created_on: "2024-03-06 09:00:00",
            due_date: Some("2024-04-12"),
            labels: &[SALES, FOLLOW_UP],
            ..Row::default()
        },
        Row {
            task_id: 15_128,
            text: "Prepare kickoff deck",
            reference: Some(TaskRef::Item(DEMO_ITEM_ID)),
            responsible: CARLA_USER_ID,
            creator: BOB_USER_ID,
            created_on: "2024-03-02 10:00:00",
            due_date: Some("2024-03-08"),
            completed: Some(("2024-03-07 16:20:00", CARLA_USER_ID)),
            ..Row::default()
        },
        Row {
            task_id: 15_129,
            text: "Review Q2 pipeline",
            description: "Check stages and close dates of every open deal",
            reference: Some(TaskRef::Space(SALES_SPACE_ID)),
            responsible: DEMO_USER_ID,
            creator: BOB_USER_ID,
            created_on: "2024-03-10 08:00:00",
            due_date: Some("2024-04-01"),
            labels: &[SALES],
            ..Row::default()
        },
        Row {
            task_id: 15_130,
            text: "Reply to VAT ticket",
            description: "Confirm the new VAT number with finance",
            reference: Some(TaskRef::Item(VAT_TICKET_ID)),
            responsible: DEMO_USER_ID,
            creator: CARLA_USER_ID,
            created_on: "2024-02-06 10:15:00",
            due_date: Some("2024-02-09"),
            labels: &[SUPPORT],
            completed: Some(("2024-02-08 14:00:00", DEMO_USER_ID)),
            ..Row::default()
        },
        Row {
            task_id: 15_131,
            text: "Investigate webhook delays",
            description: "Compare delivery logs with the queue metrics",
            reference: Some(TaskRef::Item(WEBHOOK_TICKET_ID)),
            responsible: CARLA_USER_ID,
            creator: DEMO_USER_ID,
            created_on: "2024-02-18 09:30:00",
            due_date: Some("2024-03-20"),
            due_time: Some("12:00:00"),
            labels: &[SUPPORT, URGENT],
            ..Row::default()
        },
        Row {
            task_id: 15_132,
            text: "Clean up Tickets categories",
            description: "Merge duplicate priority options",
            reference: Some(TaskRef::App(TICKETS_APP_ID)),
            responsible: DEMO_USER_ID,
            creator: DEMO_USER_ID,
            created_on: "2024-03-12 15:00:00",
            ..Row::default()
        },
        Row {
            task_id: 15_133,
            text: "Draft spring campaign brief",
            reference: Some(TaskRef::Space(MARKETING_SPACE_ID)),
            responsible: BOB_USER_ID,
            creator: BOB_USER_ID,
            created_on: "2024-03-14 11:00:00",
            due_date: Some("2024-04-20"),
            ..Row::default()
        },
        Row {
            task_id: 15_134,
            text: "Renew domain names",
            description: "acme.example and acme-demo.example",
            responsible: DEMO_USER_ID,
            creator: DEMO_USER_ID,
            created_on: "2024-03-15 08:45:00",
            due_date: Some("2024-05-01"),
            private: true,
            ..Row::default()
        },
        Row {
            task_id: PRIVATE_TASK_ID,
            text: "Prepare salary review notes",
            reference: Some(TaskRef::Space(SALES_SPACE_ID)),
            responsible: BOB_USER_ID,
            creator: BOB_USER_ID,
            created_on: "2024-03-16 17:00:00",
            due_date: Some("2024-04-05"),
            private: true,
            ..Row::default()
        },
        Row {
            task_id: HIDDEN_TASK_ID,
            text: "Prepare board pack",
            description: "Figures for the Q1 board meeting",
            reference: Some(TaskRef::Item(PRIVATE_ITEM_ID)),
            responsible: DEV_PATEL_USER_ID,
            creator: DEV_PATEL_USER_ID,
            created_on: "2024-03-18 09:00:00",
            due_date: Some("2024-03-27"),
            ..Row::default()
        },
        Row {
            task_id: 15_137,
            text: "Update Northwind project plan",
            reference: Some(TaskRef::Space(SECOND_ORG_SPACE_ID)),
            responsible: DEMO_USER_ID,
            creator: DEMO_USER_ID,
            created_on: "2024-03-18 10:00:00",
            due_date: Some("2024-03-25"),
            completed: Some(("2024-03-22 18:30:00", DEMO_USER_ID)),
            ..Row::default()
        },
    ]
}

/// Adds labels and tasks.
pub(super) fn add(world: &mut World) {
    for (label_id, text, color) in [
        (SALES, "Sales", "E9F3F7"),
        (FOLLOW_UP, "Follow-up", "FFF1C2"),
        (SUPPORT, "Support", "DCEBD8"),
        (URGENT, "Urgent", "F7D1D0"),
    ] {
        world.task_labels.insert(
            label_id,
            Label {
                label_id,
                text: text.to_owned(),
                color: color.to_owned(),
            },
        );
    }
    for row in rows() {
        world.tasks.insert(
            row.task_id,
            Task {
                task_id: row.task_id,
                text: row.text.to_owned(),
                description: row.description.to_owned(),
                private: row.private,
                due_date: row.due_date.map(str::to_owned),
                due_time: row.due_time.map(str::to_owned),
                responsible: Some(row.responsible),
                created_by: Caller::User(row.creator),
                created_on: row.created_on.to_owned(),
                completed_on: row.completed.map(|(on, _)| on.to_owned()),
                completed_by: row.completed.map(|(_, by)| Caller::User(by)),
                reference: row.reference,
                labels: row.labels.to_vec(),
                external_id: None,
            },
        );
    }
}
