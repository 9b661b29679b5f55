//! Seeded API keys: the server's shared key and two keys users created.

use super::*;
use crate::clients::ApiKey;

/// Every API key the simulator knows.
pub(crate) static API_KEYS: [ApiKey; 3] = [
    ApiKey {
        client_id: DEV_CLIENT_ID,
        client_secret: DEV_CLIENT_SECRET,
        name: DEV_KEY_NAME,
        domain: DEV_KEY_DOMAIN,
    },
    ApiKey {
        client_id: JANE_CLIENT_ID,
        client_secret: JANE_CLIENT_SECRET,
        name: JANE_KEY_NAME,
        domain: JANE_KEY_DOMAIN,
    },
    ApiKey {
        client_id: BOB_CLIENT_ID,
        client_secret: BOB_CLIENT_SECRET,
        name: BOB_KEY_NAME,
        domain: BOB_KEY_DOMAIN,
    },
];
