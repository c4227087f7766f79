/**
 * The identity returned by GET /sm-studio-setup/context (see openapi.yaml).
 */
export interface IIdentity {
  account: string;
  region: string;
  partition: string;
  caller_arn: string;
  role_arn: string | null;
  role_source: 'metadata' | 'caller' | null;
  domain_id: string | null;
  user_profile: string | null;
  space: string | null;
  app_type: string | null;
  in_studio: boolean;
  demo: boolean;
}
