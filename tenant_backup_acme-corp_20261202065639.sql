-- anthias tenant backup
-- manifest: {"format":2,"schemaVersion":11,"createdAt":"2026-12-02T06:56:39.879Z","tenant":{"id":"138f179b-bc9d-4f8c-a932-193b62168192","subdomain":"acme-corp","name":"Acme Corp"},"tables":[{"name":"tenants","columns":["id","name","subdomain","status","plan_id","max_assets","max_users","max_devices","storage_quota_gb","contact_email","custom_domain","settings","enable_2fa","session_timeout_minutes","password_policy","allowed_ip_ranges","created_at","updated_at","spec_sha256"],"rows":1,"sha256":"dc654b1fff75627485ad20d7d05310f07ed75f18d4615465f48aa3e4c818130b"},{"name":"users","columns":["id","email","password_hash","created_at"],"rows":1,"sha256":"fb57a218263aeb55586a2d3fc17de079f11b614c1b2d0c88b8fed543707176c6"},{"name":"tenant_migrations","columns":["tenant_id","version","name","checksum","applied_at","duration_ms","faked"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"tenant_features","columns":["tenant_id","feature","enabled"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"notification_outbox","columns":["tenant_id","id","kind","metric","channel","payload","created_at","sent_at","cleared_at","delivery_id","enqueued_at","attempts","last_attempt_at","last_error","failed_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","sequences":["id"]},{"name":"monitoring_configs","columns":["tenant_id","storage_threshold","user_threshold","asset_threshold","device_threshold","channels","updated_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"memberships","columns":["tenant_id","user_id","role","permissions","status","invitation_token_hash","invitation_expires_at","invited_at","accepted_at"],"rows":1,"sha256":"605e77181185c8f8c4430b6f228a5fad8d7bf02947cb96f369d1b619435f0b33"},{"name":"devices","columns":["tenant_id","id","name","location","status","last_seen_at","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"assets","columns":["tenant_id","id","name","uri","mimetype","start_date","end_date","duration_seconds","is_enabled","play_order","size_bytes","created_by","created_at"],"rows":1,"sha256":"4415b5ac74f60d804a52227ad4b45f9a42a101839d5d72ab8c26b544bdc40df1"},{"name":"qr_contents","columns":["tenant_id","id","name","content","asset_id","created_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},{"name":"api_keys","columns":["tenant_id","id","name","prefix","key_hash","permissions","created_by","created_at","expires_at","last_used_at","revoked_at"],"rows":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}],"sha256":"f0ffe935cf7604a5c70c6177f66b704c36650b91a0a68416657bdee72f1e5121"}                                                                                                                                                                     
SET client_encoding = 'UTF8';
BEGIN;
COPY public."tenants" ("id", "name", "subdomain", "status", "plan_id", "max_assets", "max_users", "max_devices", "storage_quota_gb", "contact_email", "custom_domain", "settings", "enable_2fa", "session_timeout_minutes", "password_policy", "allowed_ip_ranges", "created_at", "updated_at", "spec_sha256") FROM stdin;
138f179b-bc9d-4f8c-a932-193b62168192	Acme Corp	acme-corp	active	professional	500	50	25	100	\N	\N	{"theme": "default", "locale": "en", "timezone": "UTC"}	f	480	{"minLength": 8, "requireNumbers": true, "requireSymbols": false, "passwordHistory": 0, "requireLowercase": true, "requireUppercase": true}	{}	2026-12-02 06:55:01.335004+00	2026-12-02 06:55:03.902088+00	048cc99fcb25f563fb9986e076dedb920dcb0c7dd122b7bde3aefbb4ee421d24
\.
COPY public."users" ("id", "email", "password_hash", "created_at") FROM stdin;
b760031f-c7b0-4e8f-ab77-9297e370e09b	owner@acme.example.com	\N	2026-12-02 06:55:01.335004+00
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
138f179b-bc9d-4f8c-a932-193b62168192	b760031f-c7b0-4e8f-ab77-9297e370e09b	owner	{"admin": true}	invited	1c913f29a95c3e0617cc9a8583f1ceb7bb0500d25c9363618a0afea2be5ecdbe	2026-12-09 06:55:01.619+00	2026-12-02 06:55:01.335004+00	\N
\.
COPY public."devices" ("tenant_id", "id", "name", "location", "status", "last_seen_at", "created_at") FROM stdin;
\.
COPY public."assets" ("tenant_id", "id", "name", "uri", "mimetype", "start_date", "end_date", "duration_seconds", "is_enabled", "play_order", "size_bytes", "created_by", "created_at") FROM stdin;
138f179b-bc9d-4f8c-a932-193b62168192	bb5691f2-b2e8-4457-86e3-a95baf2784df	Welcome to Anthias	welcome-template.html	text/html	\N	\N	10	t	0	0	b760031f-c7b0-4e8f-ab77-9297e370e09b	2026-12-02 06:55:03.902088+00
\.
COPY public."qr_contents" ("tenant_id", "id", "name", "content", "asset_id", "created_at") FROM stdin;
\.
COPY public."api_keys" ("tenant_id", "id", "name", "prefix", "key_hash", "permissions", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at") FROM stdin;
\.
SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'), GREATEST((SELECT pg_catalog.max("id") FROM public."notification_outbox"), pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('public."notification_outbox"', 'id'))));
COMMIT;
