import type { ModuleContent } from '../types.js';

const TRANSCRIPT = `Receptionist: Good morning, Riverside Sports Centre. How can I help you?
Daniel: Hello. I'd like to book swimming lessons for my daughter, please.
Receptionist: Of course. How old is she?
Daniel: She's eight.
Receptionist: OK. We have children's lessons on Tuesdays at half past four and on Saturdays at ten o'clock.
Daniel: Saturday is better. She plays football after school on Tuesdays.
Receptionist: No problem. Each lesson is forty-five minutes long, and it costs six pounds.
Daniel: That's fine. Does she need to bring anything?
Receptionist: Just a swimming costume and a towel. We have goggles here for the children.
Daniel: Great. Oh, and where can I park?
Receptionist: There's a car park behind the building. It's free for the first two hours.
Daniel: Perfect. My name's Daniel Brooks. That's B-R-O-O-K-S.
Receptionist: Thank you, Mr Brooks. See you on Saturday.`;

export const module: ModuleContent = {
  slug: 'a2-listening-phone-booking',
  version: 1,
  title: 'Listening: booking a lesson by phone',
  description:
    'You will be able to follow a short phone call and pick out key details such as days, times, prices and things to bring.',
  level: 'A2',
  skill: 'listening',
  estimatedMinutes: 15,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'Why is Daniel calling the sports centre?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'To book football lessons for his daughter' },
        { id: 'b', text: 'To book swimming lessons for his daughter' },
        { id: 'c', text: 'To ask about the car park' },
        { id: 'd', text: 'To cancel a lesson' },
      ],
      answer: 'b',
      explanation:
        'Daniel says "I\'d like to book swimming lessons for my daughter". He asks about parking later, but that is not the main reason.',
    },
    {
      key: 't2',
      type: 'multiple_choice',
      prompt: "How old is Daniel's daughter?",
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'Four' },
        { id: 'b', text: 'Eight' },
        { id: 'c', text: 'Ten' },
      ],
      answer: 'b',
      explanation: 'Daniel says "She\'s eight." Four and ten are numbers from the lesson times.',
    },
    {
      key: 't3',
      type: 'multiple_choice',
      prompt: 'Which lesson does Daniel choose?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'Tuesday at half past four' },
        { id: 'b', text: "Saturday at ten o'clock" },
        { id: 'c', text: 'Saturday at half past four' },
        { id: 'd', text: "Tuesday at ten o'clock" },
      ],
      answer: 'b',
      explanation:
        'The Saturday lessons are at ten o\'clock, and Daniel says "Saturday is better."',
    },
    {
      key: 't4',
      type: 'multiple_choice',
      prompt: "Why can't his daughter go on Tuesdays?",
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'She finishes school late.' },
        { id: 'b', text: 'She plays football.' },
        { id: 'c', text: 'The lesson is full.' },
        { id: 'd', text: 'She is too young.' },
      ],
      answer: 'b',
      explanation: 'Daniel says "She plays football after school on Tuesdays."',
    },
    {
      key: 't5',
      type: 'fill_blank',
      prompt: 'One lesson costs ___ pounds.',
      passage: TRANSCRIPT,
      answers: ['six', '6'],
      explanation: 'The receptionist says each lesson "costs six pounds".',
    },
    {
      key: 't6',
      type: 'fill_blank',
      prompt: 'Each lesson is ___ minutes long.',
      passage: TRANSCRIPT,
      answers: ['forty-five', 'forty five', '45'],
      explanation: 'The receptionist says "Each lesson is forty-five minutes long".',
    },
    {
      key: 't7',
      type: 'multiple_choice',
      prompt: 'What does his daughter need to bring?',
      passage: TRANSCRIPT,
      options: [
        { id: 'a', text: 'A swimming costume and a towel' },
        { id: 'b', text: 'Goggles and a towel' },
        { id: 'c', text: 'A swimming costume and goggles' },
        { id: 'd', text: 'Nothing' },
      ],
      answer: 'a',
      explanation:
        'The receptionist says "Just a swimming costume and a towel." The centre has goggles for the children.',
    },
    {
      key: 't8',
      type: 'fill_blank',
      prompt: 'The car park is free for the first ___ hours.',
      passage: TRANSCRIPT,
      answers: ['two', '2'],
      explanation: 'The receptionist says the car park behind the building "is free for the first two hours".',
    },
  ],
};
