-- anthias tenant backup
-- manifest: {"format":2,"schemaVersion":11,"createdAt":"2026-12-02T06:52:22.468Z","tenant":{"id":"280b4310-8f90-45cc-b4d9-cd3f094b7e33","subdomain":"acme-corp","name":"Acme Corp"},"tables":[{"name":"tenants","columns":["id","name","subdomain","status","plan_id","max_assets","max_users","max_devices","storage_quota_gb","contact_email","custom_domain","settings","enable_2fa","session_timeout_minutes","password_policy","allowed_ip_ranges","created_at","updated_at","spec_sha256"],"rows":1,"sha256":"5b7c330f1a6d61ec6d500deac8af5d5c5dcff176baabba052136f89f3e313e16"},{"name":"users","columns":["id","email","password_hash","created_at"],"rows":1,"sha256":"54db88b7e8fa20515923cd80d376c496d94b13e915f464f26d8b354c73bc6a55"},{"name":"tenant_migrations","columns":["tenant_id","version","name","checksum","applied_at","duration_ms","faked"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"tenant_features","columns":["tenant_id","feature","enabled"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"notification_outbox","columns":["tenant_id","id","kind","metric","channel","payload","created_at","sent_at","cleared_at","delivery_id","enqueued_at","attempts","last_attempt_at","last_error","failed_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","sequences":["id"]},{"name":"monitoring_configs","columns":["tenant_id","storage_threshold","user_threshold","asset_threshold","device_threshold","channels","updated_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"memberships","columns":["tenant_id","user_id","role","permissions","status","invitation_token_hash","invitation_expires_at","invited_at","accepted_at"],"rows":1,"sha256":"61bf80668ec673404c5fb94fb6b5e1f6a3b2e5d924422a3947e5edb09e1f5e5a"},{"name":"devices","columns":["tenant_id","id","name","location","status","last_seen_at","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"assets","columns":["tenant_id","id","name","uri","mimetype","start_date","end_date","duration_seconds","is_enabled","play_order","size_bytes","created_by","created_at"],"rows":1,"sha256":"214749f76d02caf2e00bf7e48e98b7751a7e2348d9940b12eeaf02da3e628948"},{"name":"qr_contents","columns":["tenant_id","id","name","content","asset_id","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"api_keys","columns":["tenant_id","id","name","prefix","key_hash","permissions","created_by","created_at","expires_at","last_used_at","revoked_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}],"sha256":"a75cf4899855146a3ee1b949138c7003675de880b35ea9d1f5ea0c35341e580b"}                                                                                                                                                                     
SET client_encoding = 'UTF8';
BEGIN;
COPY public."tenants" ("id", "name", "subdomain", "status", "plan_id", "max_assets", "max_users", "max_devices", "storage_quota_gb", "contact_email", "custom_domain", "settings", "enable_2fa", "session_timeout_minutes", "password_policy", "allowed_ip_ranges", "created_at", "updated_at", "spec_sha256") FROM stdin;
280b4310-8f90-45cc-b4d9-cd3f094b7e33	Acme Corp	acme-corp	active	professional	500	50	25	100	\N	\N	{"theme": "default", "locale": "en", "timezone": "UTC"}	f	480	{"minLength": 8, "requireNumbers": true, "requireSymbols": false, "passwordHistory": 0, "requireLowercase": true, "requireUppercase": true}	{}	2026-12-02 06:50:37.977832+00	2026-12-02 06:50:42.152117+00	048cc99fcb25f563fb9986e076dedb920dcb0c7dd122b7bde3aefbb4ee421d24
\.
COPY public."users" ("id", "email", "password_hash", "created_at") FROM stdin;
ba6d0385-b2d0-4b3b-a132-f22640e3b2d4	owner@acme.example.com	\N	2026-12-02 06:50:37.977832+00
\.
COPY public."tenant_migrations" ("tenant_id", "version", "name", "checksum", "applied_at", "duration_ms", "faked") FROM stdin;
\.
COPY public."tenant_features" ("tenant_id", "feature", "enabled") FROM stdin;
\.
COPY public."notification_outbox" ("tenant_id", "id", "kind", "metric", "channel", "payload", "created_at", "sent_at", "cleared_at", "delivery_id", "enqueued_at", "attempts", "last_attempt_at", "last_error", "failed_at") FROM stdin;
\.
COPY public."monitoring_configs" ("tenant_id", "storage_threshold", "user_threshold", "asset_threshold", "device_threshold", "channels", "updated_at") FROM stdin;
\.
COPY public."memberships" ("tenant_id", "user_id", "role", "permissions", "status", "invitation_token_hash", "invitation_expires_at", "invited_at", "accepted_at") FROM stdin;
280b4310-8f90-45cc-b4d9-cd3f094b7e33	ba6d0385-b2d0-4b3b-a132-f22640e3b2d4	owner	{"admin": true}	invited	c09cba2cff602c366f82231ae35e64304f987bb116a9e5e79906001c23f1601a	2026-12-09 06:50:38.356+00	2026-12-02 06:50:37.977832+00	\N
\.
COPY public."devices" ("tenant_id", "id", "name", "location", "status", "last_seen_at", "created_at") FROM stdin;
\.
COPY public."assets" ("tenant_id", "id", "name", "uri", "mimetype", "start_date", "end_date", "duration_seconds", "is_enabled", "play_order", "size_bytes", "created_by", "created_at") FROM stdin;
280b4310-8f90-45cc-b4d9-cd3f094b7e33	761029d0-3ff3-4721-a816-f802dd256fe6	Welcome to Anthias	welcome-template.html	text/html	\N	\N	10	t	0	0	ba6d0385-b2d0-4b3b-a132-f22640e3b2d4	2026-12-02 06:50:42.152117+00
\.
COPY public."qr_contents" ("tenant_id", "id", "name", "content", "asset_id", "created_at") FROM stdin;
\.
COPY public."api_keys" ("tenant_id", "id", "name", "prefix", "key_hash", "permissions", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at") FROM stdin;
\.
SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'), GREATEST((SELECT pg_catalog.max("id") FROM public."notification_outbox"), pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'))));
COMMIT;
