//! Seeded users, organizations and workspaces with their memberships.

use super::*;
use crate::world::World;
use crate::world::model::{Org, Role, Space, User};

fn user(user_id: u64, profile_id: u64, name: &str, mail: &str, password: Option<&str>) -> User {
    User {
        user_id,
        profile_id,
        name: name.to_owned(),
        mail: mail.to_owned(),
        password: password.map(str::to_owned),
        avatar: 134_714_440 + (user_id - DEMO_USER_ID),
    }
}

#[allow(clippy::too_many_arguments)]
fn space(
    space_id: u64,
    org_id: u64,
    name: &str,
    url_label: &str,
    description: &str,
    privacy: &'static str,
    created_on: &str,
    members: Vec<(u64, Role)>,
) -> Space {
    Space {
        space_id,
        org_id,
        name: name.to_owned(),
        url_label: url_label.to_owned(),
        description: description.to_owned(),
        privacy,
        created_on: created_on.to_owned(),
        created_by: members.first().map_or(DEMO_USER_ID, |(id, _)| *id),
        members,
    }
}

/// Adds users, orgs and spaces.
pub(super) fn add(world: &mut World) {
    for u in [
        user(
            DEMO_USER_ID,
            DEMO_PROFILE_ID,
            "Jane Doe",
            DEV_USERNAME,
            Some(DEV_PASSWORD),
        ),
        user(
            BOB_USER_ID,
            BOB_PROFILE_ID,
            "Bob Roe",
            BOB_USERNAME,
            Some(BOB_PASSWORD),
        ),
        user(
            CARLA_USER_ID,
            CARLA_PROFILE_ID,
            "Carla Diaz",
            CARLA_USERNAME,
            Some(CARLA_PASSWORD),
        ),
        user(
            DEV_PATEL_USER_ID,
            DEV_PATEL_PROFILE_ID,
            "Dev Patel",
            "dev.patel@example.com",
            None,
        ),
    ] {
        world.users.insert(u.user_id, u);
    }

    world.orgs.insert(
        ORG_ID,
        Org {
            org_id: ORG_ID,
            name: "Acme Inc".to_owned(),
            url_label: "acme".to_owned(),
            kind: "premium",
            logo: 134_714_500,
            created_on: "2019-02-01 10:00:00".to_owned(),
            members: vec![
                (DEMO_USER_ID, Role::Admin),
                (BOB_USER_ID, Role::Regular),
                (CARLA_USER_ID, Role::Regular),
                (DEV_PATEL_USER_ID, Role::Admin),
            ],
        },
    );
    world.orgs.insert(
        SECOND_ORG_ID,
        Org {
            org_id: SECOND_ORG_ID,
            name: "Northwind Studio".to_owned(),
            url_label: "northwind".to_owned(),
            kind: "free",
            logo: 134_714_501,
            created_on: "2021-06-14 08:30:00".to_owned(),
            members: vec![(DEMO_USER_ID, Role::Admin)],
        },
    );

    for s in [
        space(
            SALES_SPACE_ID,
            ORG_ID,
            "Sales",
            "sales",
            "Pipeline, customers and deals",
            "closed",
            "2019-02-01 10:30:00",
            vec![
                (BOB_USER_ID, Role::Admin),
                (DEMO_USER_ID, Role::Regular),
                (CARLA_USER_ID, Role::Regular),
            ],
        ),
        space(
            SUPPORT_SPACE_ID,
            ORG_ID,
            "Support",
            "support",
            "Customer tickets and escalations",
            "open",
            "2019-03-11 09:00:00",
            vec![(DEMO_USER_ID, Role::Admin), (CARLA_USER_ID, Role::Regular)],
        ),
        space(
            MARKETING_SPACE_ID,
            ORG_ID,
            "Marketing",
            "marketing",
            "Campaigns and content calendar",
            "open",
            "2020-01-20 13:00:00",
            vec![(BOB_USER_ID, Role::Admin), (DEMO_USER_ID, Role::Light)],
        ),
        space(
            PRIVATE_SPACE_ID,
            ORG_ID,
            "Leadership",
            "leadership",
            "Board meetings and strategy",
            "closed",
            "2019-02-02 08:00:00",
            vec![
                (DEV_PATEL_USER_ID, Role::Admin),
                (BOB_USER_ID, Role::Regular),
            ],
        ),
        space(
            SECOND_ORG_SPACE_ID,
            SECOND_ORG_ID,
            "Projects",
            "projects",
            "Side projects",
            "closed",
            "2021-06-14 09:00:00",
            vec![(DEMO_USER_ID, Role::Admin)],
        ),
    ] {
        world.spaces.insert(s.space_id, s);
    }
}
