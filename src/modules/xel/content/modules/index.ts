import type { ModuleContent } from '../types.js';
import { module as a1BeAndHave } from './a1-be-and-have.js';
import { module as a1FamilyFoodTime } from './a1-family-food-time.js';
import { module as a2PastSimple } from './a2-past-simple.js';
import { module as a2ReadingWeekendTrip } from './a2-reading-weekend-trip.js';
import { module as a2ListeningPhoneBooking } from './a2-listening-phone-booking.js';
import { module as b1PresentPerfectPastSimple } from './b1-present-perfect-past-simple.js';
import { module as b1WorkStudyCollocations } from './b1-work-study-collocations.js';
import { module as b1InformalEmail } from './b1-informal-email.js';
import { module as b1SpeakingRoutinesExperiences } from './b1-speaking-routines-experiences.js';
import { module as b2ReadingOpinionArticle } from './b2-reading-opinion-article.js';
import { module as b2ListeningPodcast } from './b2-listening-podcast.js';
import { module as b2OpinionEssay } from './b2-opinion-essay.js';
import { module as c1InversionMixedConditionals } from './c1-inversion-mixed-conditionals.js';
import { module as c1SpeakingAbstractIssues } from './c1-speaking-abstract-issues.js';

/** The whole course in order: by CEFR level, then by skill (grammar, vocabulary, reading, listening, writing, speaking). */
export const COURSE: readonly ModuleContent[] = [
  a1BeAndHave,
  a1FamilyFoodTime,
  a2PastSimple,
  a2ReadingWeekendTrip,
  a2ListeningPhoneBooking,
  b1PresentPerfectPastSimple,
  b1WorkStudyCollocations,
  b1InformalEmail,
  b1SpeakingRoutinesExperiences,
  b2ReadingOpinionArticle,
  b2ListeningPodcast,
  b2OpinionEssay,
  c1InversionMixedConditionals,
  c1SpeakingAbstractIssues,
];
