-- The plan catalog and feature names of the provisioning guide, exactly.
insert into features (name, description) values
  ('basic_dashboard', 'Basic dashboard'),
  ('standard_support', 'Standard support'),
  ('advanced_dashboard', 'Advanced dashboard'),
  ('analytics', 'Analytics'),
  ('analytics_dashboard', 'Analytics dashboard'),
  ('api_access', 'REST API access with API keys'),
  ('priority_support', 'Priority support'),
  ('full_dashboard', 'Full dashboard'),
  ('advanced_analytics', 'Advanced analytics'),
  ('custom_branding', 'Custom branding'),
  ('sso_integration', 'Single sign-on integration'),
  ('dedicated_support', 'Dedicated support');

insert into plans (id, name, max_assets, max_users, max_devices, storage_quota_gb, features, price_monthly_cents, position) values
  ('basic', 'Basic', 100, 10, 5, 10,
    array['basic_dashboard', 'standard_support'], 2900, 1),
  ('professional', 'Professional', 500, 50, 25, 100,
    array['advanced_dashboard', 'analytics', 'api_access', 'priority_support'], 9900, 2),
  ('enterprise', 'Enterprise', 2000, 200, 100, 500,
    array['full_dashboard', 'advanced_analytics', 'api_access', 'custom_branding', 'sso_integration', 'dedicated_support'], 29900, 3);
