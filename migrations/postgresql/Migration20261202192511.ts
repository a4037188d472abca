import { Migration } from '@mikro-orm/migrations';

export class Migration20261202192511 extends Migration {

  override name = 'Migration20261202192511';

  override up(): void | Promise<void> {
    this.addSql(`create table "integration_signing_keys" ("kid" varchar(64) not null, "organization_id" uuid not null, "generation" int not null, "public_jwk" jsonb not null, "cipher_key_id" varchar(32) not null, "private_key_ciphertext" text not null, "created_at" timestamptz not null, "retired_at" timestamptz null, "verifies_until" timestamptz null, primary key ("kid"));`);
    this.addSql(`alter table "integration_signing_keys" add constraint "integration_signing_keys_generation_unique" unique ("organization_id", "generation");`);

    this.addSql(`create table "integration_tokens" ("id" uuid not null, "organization_id" uuid not null, "user_id" uuid not null, "kid" varchar(64) not null, "mode" varchar(16) not null, "origin" varchar(255) null, "scopes" jsonb not null, "issued_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoked_by_id" uuid null, "revoked_reason" varchar(500) null, primary key ("id"));`);
    this.addSql(`create index "integration_tokens_revoked_index" on "integration_tokens" ("organization_id", "revoked_at");`);


    this.addSql(`alter table "integration_signing_keys" add constraint "integration_signing_keys_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "integration_tokens" add constraint "integration_tokens_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "integration_tokens" add constraint "integration_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "integration_tokens" add constraint "integration_tokens_revoked_by_id_foreign" foreign key ("revoked_by_id") references "users" ("id") on update cascade on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "integration_signing_keys" cascade;`);
    this.addSql(`drop table if exists "integration_tokens" cascade;`);

  }

}
