import { Migration } from '@mikro-orm/migrations';

export class Migration20261202192508 extends Migration {

  override name = 'Migration20261202192508';

  override up(): void | Promise<void> {
    this.addSql(`create table \`integration_signing_keys\` (\`kid\` text not null primary key, \`organization_id\` text not null, \`generation\` integer not null, \`public_jwk\` json not null, \`cipher_key_id\` text not null, \`private_key_ciphertext\` text not null, \`created_at\` datetime not null, \`retired_at\` datetime null, \`verifies_until\` datetime null, constraint \`integration_signing_keys_organization_id_foreign\` foreign key (\`organization_id\`) references \`organizations\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create unique index \`integration_signing_keys_generation_unique\` on \`integration_signing_keys\` (\`organization_id\`, \`generation\`);`);

    this.addSql(`create table \`integration_tokens\` (\`id\` text not null primary key, \`organization_id\` text not null, \`user_id\` text not null, \`kid\` text not null, \`mode\` text not null, \`origin\` text null, \`scopes\` json not null, \`issued_at\` datetime not null, \`expires_at\` datetime not null, \`revoked_at\` datetime null, \`revoked_by_id\` text null, \`revoked_reason\` text null, constraint \`integration_tokens_organization_id_foreign\` foreign key (\`organization_id\`) references \`organizations\` (\`id\`) on update cascade on delete cascade, constraint \`integration_tokens_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade, constraint \`integration_tokens_revoked_by_id_foreign\` foreign key (\`revoked_by_id\`) references \`users\` (\`id\`) on update cascade on delete set null);`);
    this.addSql(`create index \`integration_tokens_user_id_index\` on \`integration_tokens\` (\`user_id\`);`);
    this.addSql(`create index \`integration_tokens_revoked_index\` on \`integration_tokens\` (\`organization_id\`, \`revoked_at\`);`);

  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`integration_signing_keys\`;`);
    this.addSql(`drop table if exists \`integration_tokens\`;`);

  }

}
