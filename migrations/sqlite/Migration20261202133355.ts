import { Migration } from '@mikro-orm/migrations';

export class Migration20261202133355 extends Migration {

  override name = 'Migration20261202133355';

  override up(): void | Promise<void> {
    this.addSql(`create table \`jobs\` (\`id\` text not null primary key, \`queue\` text not null, \`payload\` text not null, \`ref\` text null, \`state\` text not null, \`attempts\` integer not null, \`max_attempts\` integer not null, \`run_at\` bigint not null, \`locked_by\` text null, \`locked_until\` bigint null, \`last_error\` text null, \`created_at\` bigint not null, \`updated_at\` bigint not null);`);
    this.addSql(`create index \`jobs_ref_index\` on \`jobs\` (\`ref\`);`);
    this.addSql(`create index \`jobs_due_index\` on \`jobs\` (\`state\`, \`run_at\`);`);


    this.addSql(`alter table \`documents\` add column \`file_key\` text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists \`jobs\`;`);

    this.addSql(`alter table \`documents\` drop column \`file_key\`;`);

  }

}
