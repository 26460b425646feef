-- Commands as the shop received them, written only by a shop started to witness idempotency keys
-- instead of honouring them (ShopServer.Settings.witnessingKeys): a chaos test counts here how
-- often each key it sent was applied, so that it tests Outpost's idempotency ledger, not the shop's.
CREATE TABLE commands_witnessed (
    key          text NOT NULL,
    method_path  text NOT NULL,
    status       integer NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX commands_witnessed_by_key ON commands_witnessed (key);
