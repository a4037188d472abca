import { Migration } from '@mikro-orm/migrations';

/** As `normalizeName` (organizations.entities.ts) was written with this migration. */
const normalize = (name: string): string => name.trim().normalize('NFKC').toLowerCase();

/**
 * Organizations are listed by their name whatever its case, as teams are: the column the lists
 * order by, filled for the rows there are with the entity's normalization, in JavaScript (SQL's
 * lower() knows no NFKC, and SQLite's lowers ASCII only). A user belongs to few organizations and
 * their lists are reached through memberships_user_index, so the sort needs no index.
 */
export class Migration20261207092603 extends Migration {

  override name = 'Migration20261207092603';

  override async up(): Promise<void> {
    // Statements run here, in order, inside the migration's transaction (addSql would run them after up()).
    await this.execute(`alter table \`organizations\` add column \`name_normalized\` text not null default '';`);
    for (const row of await this.execute('select `id`, `name` from `organizations`;')) {
      await this.execute('update `organizations` set `name_normalized` = ? where `id` = ?;', [normalize(String(row.name)), row.id]);
    }
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`organizations\` drop column \`name_normalized\`;`);

  }

}
