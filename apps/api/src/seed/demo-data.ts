/** Name and chart vocabularies for the demo seed: realistic, fictional, deterministic. */
export const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Isabella', 'William', 'Mia', 'Benjamin', 'Charlotte',
  'Lucas', 'Amelia', 'Henry', 'Harper', 'Alexander', 'Evelyn', 'Mateo', 'Abigail', 'Daniel', 'Emily', 'Michael', 'Elizabeth',
  'Sebastian', 'Sofia', 'Jack', 'Avery', 'Owen', 'Ella', 'Samuel', 'Scarlett', 'Wyatt', 'Grace', 'Leo', 'Chloe', 'Ezra',
  'Victoria', 'Luca', 'Riley', 'Asher', 'Aria', 'Carter', 'Lily', 'Jayden', 'Aurora', 'Julian', 'Zoey', 'Grayson', 'Nora',
  'Priya', 'Arjun', 'Mei', 'Hiroshi', 'Fatima', 'Omar', 'Aisha', 'Diego', 'Lucia', 'Nguyen', 'Thanh', 'Kwame', 'Amara', 'Siobhan',
];
export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez',
  'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White',
  'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres',
  'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Patel', 'Okafor', 'Kowalski', "O'Brien", 'Schmidt', 'Haddad', 'Tanaka', 'Chen', 'Singh', 'Murphy',
];
export const STREETS = ['Maple Ave', 'Oak St', 'Cedar Ln', 'Pine Rd', 'Elm St', 'Birch Way', 'Willow Ct', 'Spruce Dr', 'Aspen Pl', 'Juniper Blvd'];
export const ALLERGIES: [string, string][] = [
  ['Z88.0', 'Penicillin'], ['Z91.010', 'Peanuts'], ['Z91.030', 'Bee venom'], ['Z88.2', 'Sulfonamides'], ['Z91.048', 'Latex'],
  ['Z91.012', 'Eggs'], ['Z91.013', 'Shellfish'],
];
export const MEDICATIONS: [string, string][] = [
  ['197361', 'Amlodipine 5 mg tablet, once daily'], ['860975', 'Metformin 500 mg tablet, twice daily'],
  ['314076', 'Lisinopril 10 mg tablet, once daily'], ['617312', 'Atorvastatin 20 mg tablet, at bedtime'],
  ['310965', 'Ibuprofen 400 mg tablet, as needed'], ['966247', 'Levothyroxine 50 mcg tablet, once daily'],
  ['745679', 'Albuterol inhaler, 2 puffs as needed'], ['312961', 'Sertraline 50 mg tablet, once daily'],
];
export const PROBLEMS: [string, string][] = [
  ['I10', 'Essential hypertension'], ['E11.9', 'Type 2 diabetes mellitus'], ['J45.909', 'Asthma, uncomplicated'],
  ['E78.5', 'Hyperlipidemia'], ['E03.9', 'Hypothyroidism'], ['F41.1', 'Generalized anxiety disorder'], ['M54.5', 'Low back pain'],
  ['J30.9', 'Allergic rhinitis'],
];
export const ENCOUNTERS: [string, string][] = [
  ['99213', 'Office visit, established patient'], ['99396', 'Annual preventive visit'], ['99214', 'Follow-up visit'],
  ['90686', 'Influenza vaccination'], ['99442', 'Telephone consultation'],
];
export const SECURITY_QUESTIONS = [
  'What was the name of your first pet?',
  'In what city were you born?',
  'What was the make of your first car?',
  'What is the name of the street you grew up on?',
];
