import { Migration } from '@mikro-orm/migrations';

export class Migration20261125181245 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`documents\` (\`id\` text not null, \`owner_id\` text not null, \`organization_id\` text null, \`visibility\` text not null default 'private', \`title\` text not null, \`mime_type\` text not null, \`size_bytes\` integer not null, \`status\` text not null default 'processing', \`error\` text null, \`chunk_count\` integer not null default 0, \`text\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`documents_owner_id_foreign\` foreign key(\`owner_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, constraint \`documents_organization_id_foreign\` foreign key(\`organization_id\`) references \`organizations\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create index \`documents_organization_index\` on \`documents\` (\`organization_id\`);`);
    this.addSql(`create index \`documents_owner_index\` on \`documents\` (\`owner_id\`, \`created_at\`);`);

    this.addSql(`create table \`document_chunks\` (\`id\` text not null, \`document_id\` text not null, \`position\` integer not null, \`heading\` text null, \`text\` text not null, constraint \`document_chunks_document_id_foreign\` foreign key(\`document_id\`) references \`documents\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`);
    this.addSql(`create unique index \`document_chunks_position_unique\` on \`document_chunks\` (\`document_id\`, \`position\`);`);

    this.addSql(`alter table \`search_entries\` add column \`document_id\` text null;`);
    this.addSql(`alter table \`search_entries\` add column \`organization_id\` text null;`);
    this.addSql(`create index \`search_entries_document_index\` on \`search_entries\` (\`document_id\`);`);
    this.addSql(`create index \`search_entries_organization_index\` on \`search_entries\` (\`organization_id\`);`);
  }

}
