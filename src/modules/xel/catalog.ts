/**
 * The course: seeded into the database from `content/` at start, then held in memory, since it
 * changes only when a new version of the server starts. Progress rows reference the seeded ids.
 */
import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Logger } from 'pino';
import { COURSE } from './content/modules/index.js';
import { CEFR_LEVELS, type CefrLevel, type ModuleContent, type Skill, type TaskContent, type TaskType } from './content/types.js';
import { XelModule, XelTask } from './xel.entities.js';
import { MAX_SCORE } from './rules.js';

export interface CatalogTask {
  id: string;
  key: string;
  position: number;
  type: TaskType;
  prompt: string;
  passage: string | null;
  maxScore: number;
  content: TaskContent;
  moduleId: string;
}

export interface CatalogModule {
  id: string;
  slug: string;
  version: number;
  position: number;
  title: string;
  description: string;
  level: CefrLevel;
  skill: Skill;
  estimatedMinutes: number;
  tasks: CatalogTask[];
}

export class Catalog {
  readonly modules: CatalogModule[];
  private readonly byId = new Map<string, CatalogModule>();
  private readonly bySlug = new Map<string, CatalogModule>();
  private readonly tasks = new Map<string, { task: CatalogTask; module: CatalogModule }>();

  constructor(modules: CatalogModule[]) {
    this.modules = [...modules].sort((a, b) => a.position - b.position);
    for (const m of this.modules) {
      this.byId.set(m.id, m);
      this.bySlug.set(m.slug, m);
      for (const t of m.tasks) this.tasks.set(t.id, { task: t, module: m });
    }
  }

  module(idOrSlug: string): CatalogModule | undefined {
    return this.byId.get(idOrSlug) ?? this.bySlug.get(idOrSlug);
  }

  /** By id only (a slug is not an id): for `node(id:)`. */
  moduleById(id: string): CatalogModule | undefined {
    return this.byId.get(id);
  }

  task(id: string): { task: CatalogTask; module: CatalogModule } | undefined {
    return this.tasks.get(id);
  }
}

const taskRow = (t: TaskContent) => {
  const { key: _key, type: _type, prompt: _prompt, passage: _passage, ...rest } = t;
  return rest as Record<string, unknown>;
};

export interface SeedReport {
  created: number;
  updated: number;
  unchanged: number;
  retired: number;
}

/**
 * Brings the database's course in line with `course`, idempotently. A module is rewritten only
 * when its version changed; tasks are matched by key, so progress on them survives; modules or
 * tasks that left the course are retired (hidden), never deleted. Safe on every process at once.
 */
export async function seedCourse(em: EntityManager, log: Logger, course: readonly ModuleContent[] = COURSE): Promise<SeedReport> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await em.fork().transactional((tx) => applyCourse(tx, course));
    } catch (e) {
      // Another process seeded the same rows first: look again.
      if (e instanceof UniqueConstraintViolationException && attempt < 3) {
        log.info('xel: course seeded concurrently by another process; checking again');
        continue;
      }
      throw e;
    }
  }
}

async function applyCourse(tx: EntityManager, course: readonly ModuleContent[]): Promise<SeedReport> {
  const report: SeedReport = { created: 0, updated: 0, unchanged: 0, retired: 0 };
  const existing = await tx.find(XelModule, {});
  const bySlug = new Map(existing.map((m) => [m.slug, m]));
  const now = new Date();
  const wanted = new Set(course.map((c) => c.slug));
  for (const [position, c] of course.entries()) {
    let m = bySlug.get(c.slug);
    if (m && m.version === c.version && m.position === position && m.retiredAt === null) {
      report.unchanged++;
      continue;
    }
    if (!m) {
      m = tx.create(XelModule, { slug: c.slug, version: c.version, position, title: c.title, description: c.description, level: c.level, skill: c.skill, estimatedMinutes: c.estimatedMinutes });
      report.created++;
    } else {
      tx.assign(m, { version: c.version, position, title: c.title, description: c.description, level: c.level, skill: c.skill, estimatedMinutes: c.estimatedMinutes, retiredAt: null, updatedAt: now });
      report.updated++;
    }
    const tasks = m.id && bySlug.has(c.slug) ? await tx.find(XelTask, { module: m }) : [];
    const byKey = new Map(tasks.map((t) => [t.key, t]));
    for (const [i, t] of c.tasks.entries()) {
      const row = { position: i, type: t.type, prompt: t.prompt, passage: t.passage ?? null, content: taskRow(t), maxScore: MAX_SCORE, retiredAt: null };
      const found = byKey.get(t.key);
      if (found) tx.assign(found, row);
      else tx.create(XelTask, { module: m, key: t.key, ...row });
    }
    const keys = new Set(c.tasks.map((t) => t.key));
    for (const t of tasks) if (!keys.has(t.key) && t.retiredAt === null) t.retiredAt = now;
  }
  for (const m of existing) {
    if (!wanted.has(m.slug) && m.retiredAt === null) {
      m.retiredAt = now;
      report.retired++;
    }
  }
  await tx.flush();
  return report;
}

/** The live course as stored (ids included), for serving. */
export async function loadCatalog(em: EntityManager): Promise<Catalog> {
  const fork = em.fork();
  const modules = await fork.find(XelModule, { retiredAt: null }, { orderBy: { position: 'asc' } });
  const tasks = await fork.find(XelTask, { retiredAt: null, module: { retiredAt: null } }, { orderBy: { position: 'asc' } });
  const byModule = new Map<string, CatalogTask[]>();
  for (const t of tasks) {
    const list = byModule.get(t.module.id) ?? [];
    list.push({
      id: t.id,
      key: t.key,
      position: t.position,
      type: t.type as TaskType,
      prompt: t.prompt,
      passage: t.passage,
      maxScore: t.maxScore,
      content: { ...(t.content as object), key: t.key, type: t.type, prompt: t.prompt, ...(t.passage ? { passage: t.passage } : {}) } as TaskContent,
      moduleId: t.module.id,
    });
    byModule.set(t.module.id, list);
  }
  return new Catalog(
    modules.map((m) => ({
      id: m.id,
      slug: m.slug,
      version: m.version,
      position: m.position,
      title: m.title,
      description: m.description,
      level: (CEFR_LEVELS as readonly string[]).includes(m.level) ? (m.level as CefrLevel) : 'A1',
      skill: m.skill as Skill,
      estimatedMinutes: m.estimatedMinutes,
      tasks: byModule.get(m.id) ?? [],
    })),
  );
}
